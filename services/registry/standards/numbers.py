"""Standard numbers (标准编号): the accepted forms, normalised to one spelling, and their level.

Forms (GB/T 1.1 numbering; the code of each level as the national platforms print it):
- enterprise  `Q/` + enterprise code + sequence + year        Q/ABC 0001S-2024 (S: food safety)
- group       `T/` + organisation code + sequence + year      T/CNFIA 001-2017
- national    `GB`, `GB/T`, `GB/Z` + number + year            GB 19301-2010, GB/T 5009.5-2016
- industry    industry code (+ `/T`, `/Z`) + number + year    QB/T 1234-2019, NY/T 5001-2001
- local       `DB` + province code (+ `/T`) + number + year   DB32/T 1234-2020, DBS44/ 001-2017
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.common.text import WHITESPACE

# 行业标准代号 (industry standard codes) in use under the Standardization Law; the list the national
# standards information platform publishes. DB (local) is not an industry code.
# fmt: off
INDUSTRY_CODES = frozenset({
    "AQ", "BB", "CB", "CH", "CJ", "CY", "DA", "DL", "DZ", "EJ", "FZ", "GA", "GH", "GM", "GY", "HB",
    "HG", "HJ", "HS", "HY", "JB", "JC", "JG", "JR", "JT", "JY", "LB", "LD", "LS", "LY", "MH", "MT",
    "MZ", "NB", "NY", "QB", "QC", "QJ", "QX", "SB", "SC", "SH", "SJ", "SL", "SN", "SW", "SY", "TB",
    "TD", "TY", "WB", "WH", "WJ", "WM", "WS", "WW", "XB", "YB", "YC", "YD", "YS", "YY", "YZ", "ZY",
})
# fmt: on

_SEQUENCE = r"(?P<seq>[0-9A-Z][0-9A-Z.]{0,19})"
_YEAR = r"(?P<year>(?:19|20)[0-9]{2})"
_FORMS = [
    # The space between code and sequence is required here: without it "Q/ABC0001S" has no one reading.
    ("enterprise", re.compile(rf"^Q/(?P<org>[0-9A-Z]{{1,24}}(?: [0-9A-Z]{{1,24}})?) {_SEQUENCE}-{_YEAR}$")),
    ("group", re.compile(rf"^T/(?P<org>[0-9A-Z]{{2,24}}) {_SEQUENCE}-{_YEAR}$")),
    ("national", re.compile(rf"^(?P<org>GB(?:/[TZ])?) ?{_SEQUENCE}-{_YEAR}$")),
    ("local", re.compile(rf"^(?P<org>DBS? ?[0-9]{{2}}(?:/T|/)) ?{_SEQUENCE}-{_YEAR}$")),
    ("industry", re.compile(rf"^(?P<org>[A-Z]{{2}}(?:/[TZ])?) ?{_SEQUENCE}-{_YEAR}$")),
]
_DASHES_FROM = "—–‐‑−"
_DASHES = str.maketrans(dict.fromkeys(_DASHES_FROM, "-"))
EXAMPLES = (
    "Q/ABC 0001S-2024, T/CNFIA 001-2017, GB 19301-2010, GB/T 5009.5-2016, QB/T 1234-2019, DB32/T 1234-2020"
)


def _either_case(text: str) -> str:
    return "".join(f"[{c}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def _schema_pattern() -> str:
    """The forms above as one pattern over what a client sends (before `parse` normalises it).

    Where the normalised form has an optional space (or none, beside `/` and `-`, which `parse`
    takes out), any run of whitespace; a required space, at least one; letters in either case; the
    dashes `parse` reads as `-`. Only the full-width (NFKC) spellings `parse` also reads are left out.
    """
    ws, gap = f"[{WHITESPACE}]*", f"[{WHITESPACE}]+"
    slash, dash = f"{ws}/{ws}", f"{ws}[-{''.join(_DASHES_FROM)}]{ws}"
    word = "[0-9A-Za-z]"
    sequence, year = f"{word}[0-9A-Za-z.]{{0,19}}", "(?:19|20)[0-9]{2}"
    tail = f"{sequence}{dash}{year}"
    industry = "|".join(_either_case(c) for c in sorted(INDUSTRY_CODES))
    forms = [
        f"[Qq]{slash}{word}{{1,24}}(?:{gap}{word}{{1,24}})?{gap}{tail}",
        f"[Tt]{slash}{word}{{2,24}}{gap}{tail}",
        f"[Gg][Bb](?:{slash}[TtZz])?{ws}{tail}",
        f"[Dd][Bb][Ss]?{ws}[0-9]{{2}}{slash}[Tt]?{ws}{tail}",
        f"(?:{industry})(?:{slash}[TtZz])?{ws}{tail}",
    ]
    return f"^{ws}(?:{'|'.join(forms)}){ws}$"


class NumberError(ValueError):
    pass


# What OpenAPI says of a standard number (a client's spelling `parse` takes), and of an enterprise's own.
PATTERN = _schema_pattern()
ENTERPRISE_PATTERN = f"^[{WHITESPACE}]*[Qq][{WHITESPACE}]*/"


@dataclass(frozen=True)
class StandardNumber:
    text: str  # the normalised spelling, e.g. "GB/T 5009.5-2016"
    level: str  # enterprise | group | national | industry | local
    year: int


def parse(value: str) -> StandardNumber:
    """The number in its one normalised spelling, or NumberError saying which forms are accepted.

    Full-width characters and the em dash of printed standards are read as their ASCII forms;
    letters are upper-cased; space runs become one space.
    """
    text = unicodedata.normalize("NFKC", value).translate(_DASHES).upper()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" ?- ?", "-", re.sub(r" ?/ ?", "/", text))
    for level, form in _FORMS:
        match = form.match(text)
        if match is None:
            continue
        org = match["org"] if level == "enterprise" else match["org"].replace(" ", "")
        if level == "industry" and org.split("/")[0] not in INDUSTRY_CODES:
            raise NumberError(
                f"{org.split('/')[0]} is not an industry standard code; accepted forms: {EXAMPLES}"
            )
        prefix = "Q/" if level == "enterprise" else "T/" if level == "group" else ""
        return StandardNumber(f"{prefix}{org} {match['seq']}-{match['year']}", level, int(match["year"]))
    raise NumberError(f"not a standard number; accepted forms: {EXAMPLES}")
