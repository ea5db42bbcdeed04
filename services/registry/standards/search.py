"""Full-text search over standard versions that works for Chinese on both databases.

Matching is by substring, after normalising text and query alike (NFKC, case-folded, spaces
collapsed): "牛奶" finds "全脂纯牛奶", "gb/t 5009" finds "GB/T 5009.5-2016". A query of several
words (split on spaces) needs all of them. Chinese has no spaces between words, so word tokenisers
do not help; both databases index character trigrams instead:

- PostgreSQL: `pg_trgm`, a GIN index on `standard_version.search_text` (`gin_trgm_ops`), which
  `LIKE '%…%'` uses for terms of three characters or more.
- SQLite: an FTS5 table with the `trigram` tokenizer (`standard_version_fts`, external content
  kept in sync by triggers), queried with `MATCH` for terms of three characters or more.

Terms of one or two characters (牛奶, 大米: common in Chinese) cannot use a trigram index on either
database; they are matched with `LIKE` on the same normalised text, scanning the rows the other
conditions leave. Both the index and the triggers are created by the migration (the models cannot
describe them) and named so that autogenerate leaves them alone (`migrate.include_name`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, column, select, table, text, true
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import TextClause

from services.registry.standards.models import StandardVersion

FTS_TABLE = "standard_version_fts"
TRGM_INDEX = "ix_standard_version_search_text_trgm"
MIN_INDEXED = 3  # trigram indexes help from three characters on
MAX_TERMS = 8

_fts = table(FTS_TABLE, column("rowid"))


def normalise(value: str) -> str:
    """The form both stored text and queries take before matching."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value).casefold()).strip()


def search_text(*, number: str, title: str, products: Iterable[str], category: str | None) -> str:
    return "\n".join(normalise(part) for part in (number, title, *products, category or "") if part)


def products_text(*, products: Iterable[str], category: str | None) -> str:
    return "\n".join(normalise(part) for part in (*products, category or "") if part)


def terms(query: str | None) -> list[str]:
    """The words of a query, normalised, without repeats, at most MAX_TERMS."""
    words = normalise(query or "").split(" ")
    return list(dict.fromkeys(w for w in words if w))[:MAX_TERMS]


def _like(column_: InstrumentedAttribute[str], term: str) -> ColumnElement[bool]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column_.like(f"%{escaped}%", escape="\\")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_match(phrases: Sequence[str]) -> ColumnElement[bool]:
    match: TextClause = text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=" AND ".join(phrases))
    return StandardVersion.id.in_(select(_fts.c.rowid).where(match))


def condition(
    dialect: str, *, query_terms: Sequence[str], product_terms: Sequence[str]
) -> ColumnElement[bool]:
    """Versions whose text has every query term and whose products have every product term."""
    likes = [_like(StandardVersion.search_text, t) for t in query_terms]
    likes += [_like(StandardVersion.products_text, t) for t in product_terms]
    # Products are part of search_text, so a product term may use the search_text index too.
    indexed = [t for t in (*query_terms, *product_terms) if len(t) >= MIN_INDEXED]
    if dialect == "sqlite" and indexed:
        # MATCH narrows through the index; the LIKEs keep the exact substring meaning (and the
        # product terms to the products).
        return and_(_fts_match([_fts_phrase(t) for t in dict.fromkeys(indexed)]), *likes)
    if dialect == "postgresql":
        likes += [_like(StandardVersion.search_text, t) for t in product_terms if len(t) >= MIN_INDEXED]
    return and_(true(), *likes)
