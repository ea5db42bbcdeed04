"""Reading portal HTML in tests: headings, labels, text; and the accessibility basics every page keeps."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

VOID_INPUTS = {"hidden", "submit", "button"}


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.fields: list[tuple[str, str | None]] = []  # (tag, id)
        self.labels: set[str] = set()
        self.ids: dict[str, int] = {}
        self.texts: list[str] = []
        self._heading: int | None = None
        self._heading_text: list[str] = []
        self._skip = 0
        self.feed(html)
        self.text = re.sub(r"\s+", " ", " ".join(self.texts))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if a.get("id"):
            self.ids[a["id"] or ""] = self.ids.get(a["id"] or "", 0) + 1
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._heading_text = int(tag[1]), []
        if tag in ("input", "select", "textarea") and a.get("type") not in VOID_INPUTS:
            self.fields.append((tag, a.get("id")))
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag in ("style", "script", "title", "desc"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._heading_text).split())))
            self._heading = None
        if tag in ("style", "script", "title", "desc"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading_text.append(data)
        if not self._skip:
            self.texts.append(data)

    @property
    def h1(self) -> str:
        return next(text for level, text in self.headings if level == 1)


def accessible(html: str) -> Page:
    """Parse a page and check the basics: lang, one h1 first, no skipped heading level, every
    field labelled, ids unique, no script."""
    page = Page(html)
    assert page.lang in ("zh-CN", "en"), page.lang
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1, page.headings
    assert levels[0] == 1, page.headings
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading level skips from h{before} to h{after}: {page.headings}"
    for tag, field_id in page.fields:
        assert field_id and field_id in page.labels, f"{tag}#{field_id} has no label"
    duplicated = [i for i, n in page.ids.items() if n > 1]
    assert not duplicated, f"duplicate ids: {duplicated}"
    assert "<script" not in html.lower()
    assert 'name="viewport"' in html
    return page
