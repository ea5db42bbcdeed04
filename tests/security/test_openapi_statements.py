"""What the OpenAPI documents state is what the servers take: cursors, GTINs, standard numbers,
event kinds, and bodies whose required fields depend on an action (the schema fuzzer relies on it)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from jsonschema_rs import Draft202012Validator

from services.cli.contracts import documents
from services.common.pagination import CURSOR_PATTERN, CURSOR_SHAPES, cursor_format, encode_cursor
from services.common.roles import Role
from services.registry.credit.rulebook import load_rule_book
from services.registry.settings import RegistrySettings
from tests.registry.test_lists import entry_body
from tests.support import Tokens, code, register


def _cursor_parameters() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, document in documents().items():
        for path, item in document["paths"].items():
            for method, operation in item.items():
                for parameter in operation.get("parameters", []):
                    if parameter["name"] == "cursor":
                        found.append((f"{name} {method.upper()} {path}", parameter["schema"]))
    return found


def test_every_cursor_states_its_text_and_its_key_shape() -> None:
    known = {cursor_format(shape) for shape in CURSOR_SHAPES}
    parameters = _cursor_parameters()
    assert len(parameters) > 20
    for route, schema in parameters:
        assert schema.get("format") in known, route
        assert schema["anyOf"][0]["pattern"] == CURSOR_PATTERN, route


def _forged(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


async def test_a_cursor_outside_its_schema_is_a_422_and_one_inside_is_a_page(
    registry: httpx.AsyncClient,
) -> None:
    issued_shape = encode_cursor("2026-11-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000001")
    page = await registry.get("/v1/standards", params={"cursor": issued_shape})
    assert page.status_code == 200 and page.json()["items"] == []
    # b64decode would skip the spaces and read a key; the pattern refuses them, and so does the server.
    spaced = " ".join(issued_shape[i : i + 4] for i in range(0, len(issued_shape), 4))
    assert (await registry.get("/v1/standards", params={"cursor": spaced})).status_code == 422
    # Base64url text, but a key of another shape (a sequence number): the format, and the server, refuse it.
    other_shape = await registry.get("/v1/standards", params={"cursor": _forged([5])})
    assert other_shape.status_code == 422 and "cursor" in other_shape.json()["detail"]


def _body_schema(document: dict[str, Any], path: str) -> Draft202012Validator:
    content = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return Draft202012Validator({**content["schema"], "components": document["components"]})


async def test_a_transition_that_needs_reasons_says_so_in_the_schema_and_the_answer(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    schema = _body_schema(documents()["registry.openapi.json"], "/v1/list-entries/{entry_id}/transitions")
    assert schema.is_valid({"action": "serve_notice"})
    assert not schema.is_valid({"action": "revoke"})
    assert not schema.is_valid({"action": "record_consent"})
    assert schema.is_valid({"action": "revoke", "note": "判决撤销了处罚决定"})
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    entry = await registry.post("/v1/list-entries", headers=reg, json=entry_body(code(1)))
    assert entry.status_code == 201, entry.text
    url = f"/v1/list-entries/{entry.json()['id']}/transitions"
    no_reasons = await registry.post(url, headers=reg, json={"action": "cancel"})
    assert no_reasons.status_code == 422 and no_reasons.json()["errors"][0]["field"] == "note"
    unknown = await registry.post(url, headers=reg, json={"action": "erase"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "action"


def test_event_kinds_are_those_every_rules_version_knows() -> None:
    document = documents()["registry.openapi.json"]
    kind = document["components"]["schemas"]["CreditEventCreate"]["properties"]["kind"]
    book = load_rule_book(RegistrySettings.model_fields["rules_file"].default)
    assert kind["enum"] == sorted(set.intersection(*(set(rules.kinds) for rules in book.all)))


def test_standard_numbers_and_gtins_are_patterns() -> None:
    document = documents()["registry.openapi.json"]
    standard = _body_schema(document, "/v1/enterprises/{uscc}/standards")
    body = {"title": "酸奶", "products": ["酸奶"], "implemented_on": "2026-01-01"}
    indicator = {"name": "蛋白质", "comparator": ">=", "value": "2.3", "test_method": "GB 5009.5"}
    assert standard.is_valid({**body, "number": " gb/t 5009.5 — 2016", "indicators": []})
    assert not standard.is_valid({**body, "number": "XX/T 1-2019"})  # no such industry code
    # An enterprise's own standard discloses its indicators, each with its test method.
    assert not standard.is_valid({**body, "number": "Q/ABC 0001S-2024"})
    assert standard.is_valid({**body, "number": "Q/ABC 0001S-2024", "indicators": [indicator]})
    # Decimals are strings of digits or integers; a float has no exact decimal places.
    assert not standard.is_valid({**body, "number": "GB 1-2010", "indicators": [{**indicator, "value": 2.3}]})
    product = _body_schema(document, "/v1/enterprises/{uscc}/products")
    assert product.is_valid({"gtin": "6901234 000018", "name": "酸奶"})
    assert not product.is_valid({"gtin": "6901234", "name": "酸奶"})  # seven digits
    assert not product.is_valid({"gtin": "69O1234000018", "name": "酸奶"})  # a letter O
