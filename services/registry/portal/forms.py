"""The complaint form: reading the posted fields, checking them in the reader's language, and the
body the complaints service's public API takes.

The complaints service checks everything again; these checks only give a friendlier answer first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from services.common import uscc as uscc_rules
from services.complaints.categories import category_codes, load_categories
from services.registry.portal.i18n import Locale

FIELDS = (
    "kind",
    "target_uscc",
    "target_name",
    "category",
    "product",
    "description",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
)
MAX_LENGTHS = {
    "target_name": 200,
    "product": 200,
    "description": 5000,
    "reporter_name": 100,
    "reporter_phone": 24,
    "reporter_email": 254,
}
# Field names in the complaints service's problem answers, as form fields.
SERVICE_FIELDS = {
    "target_uscc": "target_uscc",
    "target_name": "target_name",
    "category": "category",
    "product": "product",
    "description": "description",
    "reporter.name": "reporter_name",
    "reporter.phone": "reporter_phone",
    "reporter.email": "reporter_email",
    "kind": "kind",
}
CHANNEL = "web"


@dataclass
class ComplaintForm:
    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.general)


def blank(*, kind: str = "complaint", target_uscc: str = "", target_name: str = "") -> ComplaintForm:
    form = ComplaintForm()
    form.values.update(kind=kind, target_uscc=target_uscc, target_name=target_name)
    return form


def parse(raw: bytes) -> ComplaintForm:
    """application/x-www-form-urlencoded fields; unknown ones are ignored."""
    posted = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = ComplaintForm()
    for name in FIELDS:
        value = posted.get(name, [""])[0]
        form.values[name] = value.strip() if name != "description" else value.strip("\r\n ")
    form.values["target_uscc"] = uscc_rules.normalise(form.values["target_uscc"])
    return form


def check(form: ComplaintForm, locale: Locale) -> None:
    v, errors = form.values, form.errors
    if v["kind"] not in ("complaint", "report"):
        errors["kind"] = locale.t("err_kind")
    for name, limit in MAX_LENGTHS.items():
        if len(v[name]) > limit:
            errors[name] = locale.t("err_too_long", n=limit)
    if not v["target_uscc"] and not v["target_name"]:
        errors["target_uscc"] = locale.t("err_target")
    elif v["target_uscc"]:
        try:
            uscc_rules.validate(v["target_uscc"])
        except uscc_rules.UsccError as exc:
            errors["target_uscc"] = locale.t("code_invalid", code=v["target_uscc"], reason=exc.message)
    if not v["category"]:
        errors["category"] = locale.t("err_required")
    elif v["category"] not in category_codes():
        errors["category"] = locale.t("err_category")
    if len(v["description"]) < 5:
        errors.setdefault("description", locale.t("err_description"))
    if v["kind"] == "complaint" and not (v["reporter_name"] and (v["reporter_phone"] or v["reporter_email"])):
        errors.setdefault("reporter_name", locale.t("err_reporter"))


def service_body(form: ComplaintForm) -> dict[str, Any]:
    v = form.values
    reporter = {key: v[f"reporter_{key}"] for key in ("name", "phone", "email") if v[f"reporter_{key}"]}
    body: dict[str, Any] = {
        "kind": v["kind"],
        "channel": CHANNEL,
        "category": v["category"],
        "description": v["description"],
    }
    for name in ("target_uscc", "target_name", "product"):
        if v[name]:
            body[name] = v[name]
    if reporter:
        body["reporter"] = reporter
    return body


def refused(form: ComplaintForm, errors: list[dict[str, str]], detail: str, locale: Locale) -> None:
    """Put the complaints service's reasons next to the fields they name."""
    for error in errors:
        name = SERVICE_FIELDS.get(str(error.get("field", "")))
        message = locale.t("err_service", message=error.get("message", ""))
        if name:
            form.errors.setdefault(name, message)
        else:
            form.general.append(message)
    if not form.failed:
        form.general.append(locale.t("err_service", message=detail))


def category_options(locale: Locale) -> list[tuple[str, str]]:
    """(code, label in the reader's language): the complaints service's configured categories."""
    return [(c.code, locale.pick((c.zh, c.en))) for c in load_categories()]
