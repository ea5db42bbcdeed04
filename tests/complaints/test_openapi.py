"""The complaints OpenAPI document states what the server enforces: a body the schema calls valid is
one intake takes, and one it calls invalid is refused (the schema fuzzer relies on it)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from jsonschema_rs import Draft202012Validator

from services.complaints.categories import category_codes
from services.complaints.policy import load_policy
from tests.support import code, complaint_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
REPORT: dict[str, Any] = {"kind": "report", "reporter": None}
BODIES: list[tuple[str, dict[str, Any], int]] = [
    ("as the README sends it", {}, 201),
    ("a code typed loosely", {"target_uscc": f" {code(1).lower()} "}, 201),
    ("a report without a reporter", REPORT, 201),
    ("a complaint without a reporter", {"reporter": None}, 422),
    ("a complaint without contact", {"reporter": {"name": "王小明"}}, 422),
    ("neither code nor name", {**REPORT, "target_uscc": None}, 422),
    ("a blank reporter name", {"reporter": {"name": "   ", "phone": "13800138000"}}, 422),
    ("a name with a bell", {"reporter": {"name": "王\x07", "phone": "13800138000"}}, 422),
    ("a description led by a vertical tab", {"description": "\x0b购买的牛奶变质了"}, 422),
    ("an email with a NEL in it", {"reporter": {"name": "王", "email": "wxm@example.c\x85n"}}, 422),
    ("an unknown channel", {"channel": "999"}, 422),
    ("a free-text category", {"category": "食品安全"}, 422),
    (
        "a PNG attachment",
        {"attachments": [{"filename": "a.png", "content_base64": base64.b64encode(PNG).decode()}]},
        201,
    ),
    (
        "an executable attachment",
        {"attachments": [{"filename": "a.pdf", "content_base64": base64.b64encode(b"MZ\x90").decode()}]},
        422,
    ),
    (
        "attachment text that is not base64",
        {"attachments": [{"filename": "a.pdf", "content_base64": "JVBERi0%"}]},
        422,
    ),
]


@pytest.fixture
async def intake_schema(complaints: httpx.AsyncClient) -> Draft202012Validator:
    document = (await complaints.get("/openapi.json")).json()
    schema = {"$ref": "#/components/schemas/ComplaintCreate", "components": document["components"]}
    return Draft202012Validator(schema)


@pytest.mark.parametrize(("case", "change", "status"), BODIES, ids=[case for case, _, _ in BODIES])
async def test_a_schema_valid_filing_is_taken_and_an_invalid_one_refused(
    complaints: httpx.AsyncClient,
    intake_schema: Draft202012Validator,
    case: str,
    change: dict[str, Any],
    status: int,
) -> None:
    body = complaint_body(**change)
    body = {k: v for k, v in body.items() if v is not None}
    answer = await complaints.post("/v1/complaints", json=body)
    assert answer.status_code == status, (case, answer.text[:300])
    assert intake_schema.is_valid(body) == (status == 201), case


async def test_enums_are_the_configured_lists(complaints: httpx.AsyncClient) -> None:
    schemas = (await complaints.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["Channel"]["enum"] == list(load_policy().channels)
    assert schemas["Category"]["enum"] == list(category_codes())
    actions = set(schemas["TransitionCreate"]["properties"]["action"]["enum"])
    assert actions == {action for step in load_policy().workflow.values() for action in step}
    assert schemas["ComplaintCreate"]["properties"]["kind"]["enum"] == ["complaint", "report"]
