"""Standard texts: a PDF by its structure, not by its first bytes; each upload keeps its own name."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.registry.test_standards import PDF, standard_body, upload
from tests.support import Tokens, code, register

HTML_POSING_AS_PDF = b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n"


async def test_a_file_that_only_starts_like_a_pdf_is_refused(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    own = tokens(Role.enterprise, uscc=code(1))
    for n, content in enumerate(
        [
            HTML_POSING_AS_PDF,
            HTML_POSING_AS_PDF + b"%%EOF\n",  # a trailer marker alone does not make a PDF
            b"%PDF-1.4\n" + b"\x00" * 200,
            HTML_POSING_AS_PDF + b"trailer\n%%EOF\n",  # no object at all
        ]
    ):
        body = standard_body(f"Q/AQDC {n + 1:04d}S-2026", document=upload(content, "标准.pdf"))
        refused = await registry.post(f"/v1/enterprises/{code(1)}/standards", json=body, headers=own)
        assert refused.status_code == 422, (n, refused.text)
        assert refused.json()["errors"][0]["field"] == "document.content_base64"
    accepted = await registry.post(f"/v1/enterprises/{code(1)}/standards", json=standard_body(), headers=own)
    assert accepted.status_code == 201, accepted.text


async def test_a_re_uploaded_document_keeps_the_name_it_was_sent_with(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    own = tokens(Role.enterprise, uscc=code(1))
    first = await registry.post(
        f"/v1/enterprises/{code(1)}/standards",
        json=standard_body(document=upload(PDF, "初稿.pdf")),
        headers=own,
    )
    assert first.status_code == 201, first.text
    url = f"/v1/standards/{first.json()['id']}"
    revised = await registry.post(
        f"{url}/revisions",
        json=standard_body(revision_note="同一文本，改名", document=upload(PDF, "正式版.pdf")),
        headers=own,
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["document"]["filename"] == "正式版.pdf"
    versions = [(await registry.get(f"{url}/versions/{n}")).json()["document"]["filename"] for n in (1, 2)]
    assert versions == ["初稿.pdf", "正式版.pdf"]


async def test_standards_search_pages_hold_still_while_declarations_change(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """A page cursor names a stable key: a revision between two pages neither hides nor repeats one."""
    await register(registry, tokens(Role.regulator), code(1))
    own = tokens(Role.enterprise, uscc=code(1))
    ids = []
    for n in range(3):
        clock.advance(timedelta(hours=1))
        made = await registry.post(
            f"/v1/enterprises/{code(1)}/standards",
            json=standard_body(f"Q/AQPG {n + 1:04d}S-2026"),
            headers=own,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    first = (await registry.get("/v1/standards", params={"uscc": code(1), "limit": 2})).json()
    assert [s["id"] for s in first["items"]] == [ids[2], ids[1]]  # newest declaration first
    clock.advance(timedelta(hours=1))
    revised = await registry.post(
        f"/v1/standards/{ids[0]}/revisions",
        json=standard_body("Q/AQPG 0001S-2026", revision_note="改"),
        headers=own,
    )
    assert revised.status_code == 201, revised.text
    second = (
        await registry.get(
            "/v1/standards", params={"uscc": code(1), "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [s["id"] for s in second["items"]] == [ids[0]]
