"""Templates, links that keep the chosen language, and the headers every portal page carries."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.registry.portal.i18n import LANGUAGES, Locale

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

# No script at all; styles and images only from this origin; forms post only here; never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Tracking codes travel in query strings: never leak them to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def stylesheet() -> bytes:
    return (STATIC / "portal.css").read_bytes()


@cache
def stylesheet_version() -> str:
    return hashlib.sha256(stylesheet()).hexdigest()[:12]


class Links:
    """Portal URLs; the language travels along once the reader has chosen one explicitly."""

    def __init__(self, request: Request, locale: Locale):
        self.request = request
        self.locale = locale

    def __call__(self, path: str, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if self.locale.explicit:
            query["lang"] = self.locale.lang
        return path + ("?" + urlencode(query) if query else "")

    def switch(self, lang: str) -> str:
        """This page in another language."""
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        query.append(("lang", lang))
        return self.request.url.path + "?" + urlencode(query)


def page(
    request: Request,
    locale: Locale,
    template: str,
    *,
    status: int = 200,
    private: bool = False,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page; `private` pages (forms, tracking answers) are never stored by caches."""
    links = Links(request, locale)
    html = (
        environment()
        .get_template(template)
        .render(
            t=locale.t,
            locale=locale,
            link=links,
            languages=[(lang, links.switch(lang)) for lang in LANGUAGES],
            css=f"/static/portal.css?v={stylesheet_version()}",
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = locale.html_lang
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "no-store" if private else "public, max-age=60"
    if headers:
        response.headers.update(headers)
    return response
