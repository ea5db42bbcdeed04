"""Schema fuzzing with schemathesis: every operation of both OpenAPI documents, as each caller the
access matrix lets in, with valid and invalid input, and path parameters that sometimes point at
seeded records. Zero 5xx; every answer's status, media type, headers and body as documented; a
request the schema calls invalid refused, and one it calls valid never refused as invalid (422),
save for the few rules no JSON Schema can state (SCHEMA_CANNOT_STATE, each by the field it names).
Custom formats the documents use (uscc, gtin, cursors, PDF content) get generators below.

Bounded: FUZZ_EXAMPLES per operation and caller (QCR_FUZZ_EXAMPLES overrides it, e.g. for a long
local run). Both services run once per database for the whole module.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase as fnmatch
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.common.clock import FrozenClock
from services.common.gtin import GTIN_FORMAT, TRADE_ITEM_FORMAT, check_digit, special_range
from services.common.pagination import CURSOR_SHAPES, MAX_SEQUENCE, cursor_format, encode_cursor
from services.complaints.app import create_app as create_complaints_app
from services.complaints.database import load_models as complaints_models
from services.complaints.settings import ComplaintsSettings
from services.registry.app import create_app as create_registry_app
from services.registry.database import load_models as registry_models
from services.registry.settings import RegistrySettings
from services.registry.standards.documents import PDF_FORMAT
from tests.conftest import NOW
from tests.security.conftest import (
    ROLES,
    ComplaintsWorld,
    RegistryWorld,
    role_headers,
    seed_complaints,
    seed_registry,
)
from tests.security.test_access_matrix import MATRIX
from tests.support import Backend, Tokens, code, running, wipe

FUZZ_EXAMPLES = int(os.environ.get("QCR_FUZZ_EXAMPLES", "12"))
CONTRACTS = Path(__file__).parents[2] / "contracts"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# A request the schema calls valid is not refused as invalid: the OpenAPI states what is enforced.
STRICT_CHECKS = [*CHECKS, positive_data_acceptance]
# The check characters of a code are the format `uscc`, which no pattern can state: valid codes.
schemathesis.openapi.format("uscc", st.integers(min_value=1, max_value=10**6).map(code))
# Likewise the check digit of a GTIN (8, 12, 13 or 14 digits).
_GTIN_BODY = st.sampled_from([7, 11, 12, 13]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
_GTIN = _GTIN_BODY.map(lambda body: f"{body}{check_digit(body)}")
schemathesis.openapi.format(GTIN_FORMAT, _GTIN)
schemathesis.openapi.format(TRADE_ITEM_FORMAT, _GTIN.filter(lambda gtin: special_range(gtin) is None))
# And a standard's text: a PDF (header, an object, a trailer, the end-of-file marker), base64.
_PDF = st.text("abcdefghij ", max_size=40).map(
    lambda title: f"%PDF-1.4\n1 0 obj\n<< /Title ({title}) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
schemathesis.openapi.format(PDF_FORMAT, _PDF.map(lambda pdf: base64.b64encode(pdf.encode()).decode()))
# A cursor's key is its format too (base64url of a JSON key of one shape): keys of that shape, some
# pointing anywhere in time, with any offset a service could be given back.
_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_KEY_PARTS: dict[str, st.SearchStrategy[Any]] = {
    "datetime": st.datetimes(timezones=_OFFSETS, allow_imaginary=False).map(datetime.isoformat),
    "uuid": st.uuids().map(str),
    "int": st.integers(min_value=0, max_value=MAX_SEQUENCE),
    "code": st.from_regex(r"[0-9A-Z]{1,40}", fullmatch=True),
}
for _shape in CURSOR_SHAPES:
    _key = st.tuples(*(_KEY_PARTS[kind] for kind in _shape))
    schemathesis.openapi.format(cursor_format(_shape), _key.map(lambda key: encode_cursor(*key)))
UNLIMITED = (10**9, 60)
# Rules no JSON Schema can state (a time relative to now, one field compared with another): a
# schema-valid request may break them, and the 422 names the field. Only those fields (fnmatch
# patterns), on those operations, may refuse a schema-valid request; any other refusal is a fault.
_NOT_IN_FUTURE = "a time is not after now (the server's clock)"
_ABOVE = (
    "an indicator against another value: a range's value_max above its value, a declared value no"
    " weaker than its category's mandatory one (the reference table)"
)
_INDICATOR = {"indicators.[0-9]": _ABOVE, "indicators.[0-9][0-9]": _ABOVE}
SCHEMA_CANNOT_STATE: dict[str, dict[str, str]] = {
    "POST /v1/enterprises/{uscc}/credit-events": {
        "occurred_at": _NOT_IN_FUTURE,
        "expires_at": "after occurred_at",
    },
    "POST /v1/list-entries": {"decided_at": _NOT_IN_FUTURE},
    "POST /v1/inspection-plans": {"period_end": "not before period_start"},
    "POST /v1/complaints/intake": {
        "received_at": "not in the future, nor more than the configured number of days before now"
    },
    "POST /v1/standards/{standard_id}/flags": {"correction_due_on": "today or later"},
    "POST /v1/company-prefixes": {"valid_until": "after registered_on"},
    "POST /v1/enterprises/{uscc}/standards": {"indicators.[0-9]": _ABOVE, "indicators.[0-9][0-9]": _ABOVE},
    "POST /v1/standards/{standard_id}/revisions": {
        "indicators.[0-9]": _ABOVE,
        "indicators.[0-9][0-9]": _ABOVE,
    },
}


def fuzz_targets(service: str) -> list[tuple[str, str, str]]:
    """(service, 'METHOD /path', role) for every documented operation and each caller it lets in."""
    document = json.loads((CONTRACTS / f"{service}.openapi.json").read_text(encoding="utf-8"))
    targets = []
    for path, item in document["paths"].items():
        for method in item:
            route = f"{method.upper()} {path}"
            statuses = MATRIX[service].get(route)
            if statuses is None:  # fails in the test, with the reason, rather than at collection
                targets.append((service, route, "not in access_matrix.toml"))
                continue
            allowed = [r for r in ROLES if statuses[r] not in (401, 403)]
            # A route anyone may call reads no token: one caller covers it.
            for role in ["none"] if "none" in allowed else allowed:
                targets.append((service, route, role))
    return targets


@dataclass
class Target:
    client: httpx.AsyncClient
    schema: Any  # schemathesis' OpenApiSchema of the running app
    seeded: dict[str, str]  # path parameter -> a seeded record's key
    owner: str


def load_schema(app: FastAPI) -> Any:
    schema = schemathesis.openapi.from_dict(app.openapi())
    # The caller's token is ours to choose (per role, below), not schemathesis' to make up.
    # Unknown query parameters are ignored, as HTTP APIs do; no point sending them as "invalid".
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return schema


@pytest.fixture(scope="module")
async def fuzz_registry(backend: Backend, keys_dir: Path, tokens: Tokens) -> AsyncIterator[Target]:
    clock = FrozenClock(NOW)
    settings_ = RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=5,
        webhooks_enabled=False,
        webhook_private_targets=True,  # the seeded subscription points at 127.0.0.1
    )
    app = create_registry_app(settings_, clock=clock)
    async with running(app) as client:
        try:
            world: RegistryWorld = await seed_registry(client, tokens, clock)
            seeded = {
                "subscription_id": world.subscription_id,
                "uscc": world.own,
                "event_id": world.event_id,
                "entry_id": world.listed_entry,
                "statement_id": world.statement_id,
                "application_id": world.application_id,
                "list_name": "black",
                "plan_id": world.drawn_plan,
                "task_id": world.task_id,
                "warning_id": world.open_warning,
                "notice_id": world.notice_id,
            }
            yield Target(client, load_schema(app), seeded, world.own)
        finally:
            await wipe(app.state.engine, registry_models())


@pytest.fixture(scope="module")
async def fuzz_complaints(backend: Backend, keys_dir: Path, tokens: Tokens) -> AsyncIterator[Target]:
    settings_ = ComplaintsSettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.complaints_url,
        db_pool_size=5,
        dispatch_enabled=False,
        intake_rate=UNLIMITED,
        tracking_rate=UNLIMITED,
    )
    app = create_complaints_app(settings_, clock=FrozenClock(NOW))
    async with running(app) as client:
        try:
            world: ComplaintsWorld = await seed_complaints(client, tokens)
            seeded = {
                "complaint_id": world.complaint_id,
                "attachment_id": world.attachment_id,
                "tracking_code": world.tracking_code,
            }
            yield Target(client, load_schema(app), seeded, "")
        finally:
            await wipe(app.state.engine, complaints_models())


def cases(target: Target, route: str) -> st.SearchStrategy[Any]:
    method, path = route.split(" ", 1)
    operation = target.schema[path][method]
    parameters = {p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "path"}
    pinned = {name: value for name, value in target.seeded.items() if name in parameters}
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    if pinned:
        strategies.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=pinned)
        )
    return st.one_of(strategies)


async def fuzz(
    target: Target, tokens: Tokens, service: str, route: str, role: str, data: st.DataObject
) -> None:
    assert role in ROLES, f"{service} {route}: give it an entry in access_matrix.toml"
    case = data.draw(cases(target, route), label="case")
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = dict(kwargs.pop("headers") or {})
    if role == "none":  # no token, or garbage where a token goes
        garbage = data.draw(st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=126)), "token")
        if garbage is not None:
            headers["Authorization"] = f"Bearer {garbage}"
    else:  # the token (and a partner's stated purpose): every other header is the fuzzer's
        made = role_headers(tokens, role, audience=service, owner=target.owner)
        headers["Authorization"] = made["Authorization"]
        negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
        # Partners must state a purpose: ours in a valid case, the fuzzer's in an invalid one.
        if "X-Purpose" in made and not (negative and "x-purpose" in {k.lower() for k in headers}):
            headers = {k: v for k, v in headers.items() if k.lower() != "x-purpose"}
            headers["X-Purpose"] = made["X-Purpose"]
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs.pop("json")
    elif "data" in kwargs:
        body["content"] = kwargs.pop("data")
    response = await target.client.request(
        kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params"), **body
    )
    try:
        strict = not beyond_schema(route, response)
        case.validate_response(response, checks=STRICT_CHECKS if strict else CHECKS)
    except BaseException:
        if os.environ.get("QCR_FUZZ_DEBUG"):
            print(
                "FAILCASE",
                repr(case.headers),
                repr(case.query),
                repr(case.body)[:300],
                response.request.headers,
                case.meta.phase if case.meta else None,
            )
        raise


def beyond_schema(route: str, response: httpx.Response) -> bool:
    """A 422 for nothing but the rules SCHEMA_CANNOT_STATE lists for this route (by each error's field)."""
    fields = SCHEMA_CANNOT_STATE.get(route, {})
    if not fields or response.status_code != 422:
        return False
    named = [str(error.get("field")) for error in response.json().get("errors", [])]
    return bool(named) and all(any(fnmatch(name, f) for f in fields) for name in named)


FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(("service", "route", "role"), fuzz_targets("registry"))
@FUZZ_SETTINGS
@given(data=st.data())
async def test_fuzz_registry(
    fuzz_registry: Target, tokens: Tokens, service: str, route: str, role: str, data: st.DataObject
) -> None:
    await fuzz(fuzz_registry, tokens, service, route, role, data)


@pytest.mark.parametrize(("service", "route", "role"), fuzz_targets("complaints"))
@FUZZ_SETTINGS
@given(data=st.data())
async def test_fuzz_complaints(
    fuzz_complaints: Target, tokens: Tokens, service: str, route: str, role: str, data: st.DataObject
) -> None:
    await fuzz(fuzz_complaints, tokens, service, route, role, data)
