"""The rules behind declarations: number forms, the mandatory-value comparison, draws, the search index."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.common.roles import Role
from services.registry.draws import commit_reveal as sampling
from services.registry.standards import numbers
from services.registry.standards.reference import (
    REFERENCE_FILE,
    Declared,
    ReferenceError,
    load_reference,
    parse_reference,
)
from tests.registry.test_standards import enterprise, publish, standard_body
from tests.support import Tokens, code, register


@pytest.mark.parametrize(
    ("typed", "number", "level"),
    [
        ("Q/ABC 0001S-2024", "Q/ABC 0001S-2024", "enterprise"),
        ("Q/321088 JSL 001-2019", "Q/321088 JSL 001-2019", "enterprise"),
        ("T/CNFIA 001-2017", "T/CNFIA 001-2017", "group"),
        ("GB19301—2010", "GB 19301-2010", "national"),
        ("ＧＢ／Ｔ　5009.5－2016", "GB/T 5009.5-2016", "national"),
        ("ny/t 5001-2001", "NY/T 5001-2001", "industry"),
        ("DB32/T 1234-2020", "DB32/T 1234-2020", "local"),
        ("DBS 44/001-2017", "DBS44/ 001-2017", "local"),
    ],
)
def test_standard_numbers_in_every_accepted_form(typed: str, number: str, level: str) -> None:
    parsed = numbers.parse(typed)
    assert (parsed.text, parsed.level) == (number, level)


@pytest.mark.parametrize("typed", ["Q/ABC0001S-2024", "GB 19301", "ZZ/T 1-2020", "T/ 001-2017", "标准"])
def test_what_is_not_a_standard_number(typed: str) -> None:
    with pytest.raises(numbers.NumberError, match="accepted forms"):
        numbers.parse(typed)


def _weaker(indicator: Declared, category: str) -> list[str]:
    findings = load_reference().compare([indicator], category=category, products=[])
    return [f.problem for f in findings]


@pytest.mark.parametrize(
    ("declared", "problems"),
    [
        (Declared("蛋白质", ">=", Decimal("2.8"), "g/100g"), []),  # equal is not weaker
        (Declared("蛋白质", ">", Decimal("2.8"), "g/100g"), []),
        (Declared("蛋白质", "=", Decimal("3.0"), "g/100g"), []),
        (Declared("蛋白质", "range", Decimal("2.9"), "g/100g", Decimal("3.6")), []),
        (Declared("蛋白质", ">=", Decimal("2.79"), "g/100g"), ["weaker"]),
        (Declared("蛋白质", "<=", Decimal("9"), "g/100g"), ["weaker"]),  # no floor at all
        (Declared("蛋白质", ">=", Decimal("28"), "g/kg"), []),  # 28 g/kg is 2.8 g/100g
        (Declared("蛋白质", ">=", Decimal("27"), "g/kg"), ["weaker"]),
        (Declared("蛋白质", ">=", Decimal("3"), "%"), ["unit"]),
        (Declared("铅（以 Pb 计）", "<=", Decimal("0.02"), "mg/kg"), []),
        (Declared("Pb", "<", Decimal("0.021"), "mg/kg"), ["weaker"]),
        (Declared("铅", "<=", Decimal("19.9"), "µg/kg"), []),  # micro sign or Greek mu alike
        (Declared("菌落总数", "<=", Decimal("2000001"), "CFU/mL"), ["weaker"]),
        (Declared("蛋白质含量", ">=", Decimal("2.7"), "g/100g"), ["weaker"]),
        (Declared("乳糖", ">=", Decimal("0"), "g/100g"), []),  # no mandatory value: nothing to compare
    ],
)
def test_a_declared_indicator_against_the_mandatory_value(declared: Declared, problems: list[str]) -> None:
    assert _weaker(declared, "生乳") == problems


def test_a_reference_file_that_contradicts_itself_is_refused(tmp_path: Path) -> None:
    document = {
        "version": "x",
        "categories": [
            {"name": "生乳", "aliases": ["生牛乳"]},
            {"name": "生牛乳", "aliases": []},
        ],
    }
    with pytest.raises(ReferenceError, match="生牛乳"):
        parse_reference(document)
    bad_range = {
        "version": "x",
        "categories": [
            {
                "name": "大米",
                "limits": [
                    {
                        "indicator": "镉",
                        "comparator": "range",
                        "value": "2",
                        "value_max": "1",
                        "unit": "mg/kg",
                        "source": "s",
                        "status": "unconfirmed",
                    }
                ],
            }
        ],
    }
    with pytest.raises(ReferenceError, match="value_max"):
        parse_reference(bad_range)
    # the shipped file is consistent, and every limit says where it comes from
    reference = load_reference(REFERENCE_FILE)
    assert all(limit.source and limit.status for c in reference.categories for limit in c.limits)


def test_a_draw_depends_on_the_seed_and_the_candidates_only() -> None:
    candidates = [f"00000000-0000-0000-0000-{n:012d}" for n in range(40)]
    shuffled = random.Random(1).sample(candidates, len(candidates))
    assert sampling.draw("seed-1", candidates, 5) == sampling.draw("seed-1", shuffled, 5)
    assert sampling.draw("seed-1", candidates, 5) != sampling.draw("seed-2", candidates, 5)
    assert (
        sampling.draw("seed-1", candidates, 5)
        == sorted(candidates, key=lambda c: hashlib.sha256(f"seed-1:{c}".encode()).hexdigest())[:5]
    )
    assert sorted(sampling.draw("s", candidates, 100)) == candidates  # more than there are: all of them
    assert sampling.candidates_digest(candidates) == sampling.candidates_digest(shuffled)


async def test_the_trigram_index_is_in_place_and_follows_every_version(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    declaration = await publish(registry, own, code(1), standard_body())
    await registry.post(
        f"/v1/standards/{declaration['id']}/revisions",
        json=standard_body(title="高钙纯牛奶", revision_note="新配方"),
        headers=own,
    )
    async with registry_app.state.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            match = text("SELECT count(*) FROM standard_version_fts WHERE standard_version_fts MATCH :q")
            assert (await conn.execute(match, {"q": '"纯牛奶"'})).scalar_one() == 2  # both versions
            assert (await conn.execute(match, {"q": '"高钙纯"'})).scalar_one() == 1
        else:
            # On Citus the shards plan the query: SET LOCAL reaches them (a placeholder elsewhere).
            await conn.execute(text("SET LOCAL citus.propagate_set_commands TO 'local'"))
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = (
                await conn.execute(
                    text("EXPLAIN SELECT id FROM standard_version WHERE search_text LIKE '%纯牛奶%'")
                )
            ).scalars()
            assert "ix_standard_version_search_text_trgm" in "\n".join(plan)
