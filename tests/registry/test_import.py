import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.common.roles import Role
from services.registry.imports import service
from tests.support import Tokens, code, register


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _event(ref: str, severity: str = "severe") -> dict[str, str]:
    return {
        "kind": "spot_check_failed",
        "severity": severity,
        "authority": "某市市场监督管理局",
        "source_ref": ref,
        "occurred_at": "2026-10-01T00:00:00+08:00",
    }


async def _import(app: FastAPI, path: Path) -> service.ImportResult | list[service.BadRow]:
    settings = app.state.settings
    prepared = service.prepare(
        path,
        rules_file=settings.rules_file,
        now=app.state.clock.now(),
        actor="import:test",
        progress=lambda *a: None,
    )
    if prepared.bad:
        return prepared.bad
    async with app.state.engine.begin() as conn:
        return await service.load(
            conn, prepared, progress=lambda *a: None, bus=app.state.bus, source=path.name, actor="import:test"
        )


async def test_import_grades_and_is_safe_to_rerun(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, tmp_path: Path
) -> None:
    await register(registry, tokens(Role.regulator), code(9), name="已登记企业")
    path = _jsonl(
        tmp_path / "in.jsonl",
        [
            {"uscc": code(1), "name": "甲食品有限公司", "events": [_event("I-1"), _event("I-2", "minor")]},
            {"uscc": code(2), "name": "乙电器有限公司"},
            {"uscc": code(9), "name": "已登记企业（新名）", "events": [_event("I-9")]},
        ],
    )
    result = await _import(registry_app, path)
    assert result == service.ImportResult(enterprises=2, events=2, skipped_existing=1)
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert (credit["score"], credit["grade"]) == (65, "C")
    assert {e["source_ref"] for e in credit["explanation"]} == {"I-1", "I-2"}
    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert [h["cause"] for h in history] == ["imported"]
    untouched = (await registry.get(f"/v1/enterprises/{code(9)}")).json()
    assert untouched["name"] == "已登记企业" and untouched["grade"] == "A"
    again = await _import(registry_app, path)
    assert again == service.ImportResult(enterprises=0, events=0, skipped_existing=3)


async def test_bad_rows_are_named_and_nothing_is_imported(
    registry: httpx.AsyncClient, registry_app: FastAPI, tmp_path: Path
) -> None:
    bad_check = code(3)[:17] + ("0" if code(3)[17] != "0" else "1")
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"uscc": code(1), "name": "好企业"}),
                json.dumps({"uscc": bad_check, "name": "坏校验位"}),
                "{not json",
                json.dumps(
                    {"uscc": code(4), "name": "未知事件", "events": [{**_event("X"), "kind": "rumour"}]}
                ),
                json.dumps({"uscc": code(1), "name": "重复"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    bad = await _import(registry_app, path)
    assert isinstance(bad, list)
    assert [b.line for b in bad] == [2, 3, 4, 5]
    assert "should be" in bad[0].message and "JSON" in bad[1].message
    assert "rumour" in bad[2].message and "repeats line 1" in bad[3].message
    assert (await registry.get(f"/v1/enterprises/{code(1)}")).status_code == 404


async def test_csv_import(registry: httpx.AsyncClient, registry_app: FastAPI, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        f'uscc,name,address\n{code(1)},"丙五金店, 南宁",民族大道 1 号\n{code(2).lower()},丁厂,\n',
        encoding="utf-8",
    )
    assert await _import(registry_app, path) == service.ImportResult(2, 0, 0)
    first = (await registry.get(f"/v1/enterprises/{code(1)}")).json()
    assert first["name"] == "丙五金店, 南宁"
    assert (await registry.get(f"/v1/enterprises/{code(2)}")).json()["grade"] == "A"
