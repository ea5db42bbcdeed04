"""The API documentation works on an isolated network: every asset comes from the service itself."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


async def test_docs_reference_no_external_host(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient
) -> None:
    for client in (registry, complaints):
        for page in ("/docs", "/redoc"):
            await _check_page(client, page)


async def _check_page(client: httpx.AsyncClient, page: str) -> None:
    answer = await client.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    html = answer.text
    # No absolute URL anywhere in the page (a CDN, web fonts, the public schema validator).
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), html
    assert "validatorUrl" in html or page == "/redoc"  # Swagger UI would call validator.swagger.io
    assets = [a or b for a, b in ASSET.findall(html)]
    assert [a for a in assets if a.endswith(".js")], html
    for asset in assets:
        url = urljoin(str(answer.url), asset)
        assert urlsplit(url).netloc == answer.url.host, asset
        fetched = await client.get(url)
        assert fetched.status_code == 200 and fetched.content, (page, asset)
