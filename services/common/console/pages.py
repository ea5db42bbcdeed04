"""Console pages: the language a request gets, templates (the service's own, then the shared ones),
China-time dates, and the headers every console page carries.

`?lang=zh|en` wins (and is remembered in a cookie); then the cookie; then Accept-Language; else zh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.common.workdays import CHINA

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
LANGUAGES = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
LANG_COOKIE = "qcr_console_lang"

# No script at all; styles and images from this origin only; forms post here only; never framed.
# form-action also allows the identity provider (sign-in and sign-out are redirects after a post).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def content_security_policy(provider: str) -> str:
    actions = "'self'" + (f" {provider}" if provider else "")
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {actions}; frame-ancestors 'none'; base-uri 'none'"
    )


COMMON_MESSAGES: dict[str, tuple[str, str]] = {
    "skip_to_content": ("跳到正文", "Skip to content"),
    "language": ("语言", "Language"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "sign_out": ("退出登录", "Sign out"),
    "sign_in": ("登录", "Sign in"),
    "sign_in_title": ("工作台登录", "Sign in to the console"),
    "sign_in_oidc": ("使用统一身份认证登录", "Sign in with the department's identity provider"),
    "sign_in_dev": ("开发环境登录（选择角色）", "Development sign-in (pick a role)"),
    "sign_in_not_configured": (
        "尚未配置统一身份认证，无法登录。",
        "No identity provider is configured: nobody can sign in.",
    ),
    "sign_in_failed": ("登录未成功", "Sign-in did not succeed"),
    "sign_in_failed_text": (
        "身份认证未能完成，请重新登录。",
        "The identity provider's answer could not sign you in. Please sign in again.",
    ),
    "sign_in_role_refused": (
        "您的账号没有使用本工作台的权限。",
        "Your account has no role that may use this console.",
    ),
    "dev_title": ("开发环境登录", "Development sign-in"),
    "dev_hint": (
        "仅在开发环境提供：选择角色即可登录，不经过统一身份认证。",
        "Development only: pick a role and sign in, without the identity provider.",
    ),
    "dev_role": ("角色", "Role"),
    "dev_subject": ("用户名", "User name"),
    "dev_uscc": (
        "企业统一社会信用代码（企业用户）",
        "Enterprise's unified social credit code (enterprise users)",
    ),
    "role_handler": ("投诉举报处理人员", "Complaint handler"),
    "role_regulator": ("监管人员", "Regulator"),
    "role_enterprise": ("企业用户", "Enterprise"),
    "signed_out_title": ("已退出登录", "Signed out"),
    "signed_out_text": ("您已退出登录。", "You have signed out."),
    "forbidden_title": ("无权访问", "Not allowed"),
    "forbidden_text": ("您的角色不能查看此页面。", "Your role may not see this page."),
    "csrf_title": ("表单已失效", "The form has expired"),
    "csrf_text": (
        "该表单已失效或并非来自本工作台，请返回后重新提交。",
        "This form has expired or did not come from this console. Go back and submit it again.",
    ),
    "not_found_title": ("未找到", "Not found"),
    "refused_title": ("未能办理", "Not done"),
    "too_many_title": ("操作过于频繁，请稍后再试", "Too many attempts: try again shortly"),
    "back": ("返回", "Back"),
    "footer_time": ("页面时间均为北京时间（UTC+8）。", "Times are Beijing time (UTC+8)."),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next page"),
    "none": ("无", "None"),
}


@dataclass(frozen=True)
class Locale:
    lang: str
    messages: Mapping[str, tuple[str, str]]

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def t(self, key: str, **values: Any) -> str:
        pair = self.messages.get(key) or COMMON_MESSAGES.get(key)
        if pair is None:  # a code recorded before its label existed: shown as it is
            return key.partition("_")[2] or key
        text = pair[0] if self.lang == "zh" else pair[1]
        return text.format(**values) if values else text

    def when(self, value: datetime | None, *, time: bool = True) -> str:
        if value is None:
            return self.t("none")
        local = value.astimezone(CHINA)
        return local.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")


def chosen_language(request: Request) -> tuple[str, bool]:
    """The language and whether the reader chose it just now (then it is remembered)."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered, False
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=")
        try:
            if params and float(quality) <= 0:
                continue
        except ValueError:
            continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            return primary, False
    return "zh", False


@cache
def environment(service_templates: Path) -> Environment:
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(service_templates), FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def stylesheet() -> bytes:
    return (STATIC / "console.css").read_bytes()


@cache
def stylesheet_version() -> str:
    return hashlib.sha256(stylesheet()).hexdigest()[:12]


def render(
    request: Request,
    template: str,
    *,
    templates: Path,
    messages: Mapping[str, tuple[str, str]],
    provider: str = "",
    status: int = 200,
    globals_: Mapping[str, Any] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang, chose = chosen_language(request)
    locale = Locale(lang, messages)
    kept = [f"{k}={quote(v)}" for k, v in request.query_params.multi_items() if k != "lang"]

    def switch(other: str) -> str:
        return request.url.path + "?" + "&".join([*kept, f"lang={other}"])

    html = (
        environment(templates)
        .get_template(template)
        .render(
            t=locale.t,
            when=locale.when,
            locale=locale,
            languages=[(other, switch(other)) for other in LANGUAGES],
            css=f"/console/static/console.css?v={stylesheet_version()}",
            **(globals_ or {}),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Security-Policy"] = content_security_policy(provider)
    response.headers["Content-Language"] = locale.html_lang
    if chose:
        secure = request.app.state.settings.console_cookie_secure
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path="/console", samesite="lax", secure=secure
        )
    return response
