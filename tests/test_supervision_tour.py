"""The README's classified-supervision tour against `qcr dev`: a plan over the demo data drawn with a
revealed seed and recomputed by the README's own recipe; a failed result lowering a grade; a burst of
complaints raising a warning that is assessed, published as a notice and turned into a directed plan."""

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.processes import free_port, qcr_process, wait_ready
from tests.test_readme_tour import _printed_tokens

README = Path(__file__).parents[1] / "README.md"
E = "91450600MA5L000132"  # 防城港市海韵食品有限公司 in the demo data


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_supervision_tour(tmp_path: Path) -> None:
    registry_port, complaints_port = free_port(), free_port()
    log = tmp_path / "dev.log"
    args = ["--data-dir", str(tmp_path / "data"), "--registry-port", str(registry_port)]
    with qcr_process("dev", *args, "--complaints-port", str(complaints_port), log=log) as process:
        registry, complaints = f"http://127.0.0.1:{registry_port}", f"http://127.0.0.1:{complaints_port}"
        wait_ready(registry, process)
        wait_ready(complaints, process)
        reg = {"Authorization": f"Bearer {_printed_tokens(log, time.monotonic() + 30)['regulator']}"}
        with httpx.Client(base_url=registry, headers=reg, timeout=30) as api:
            ids = [
                _ok(
                    api.post(
                        "/v1/inspectors",
                        json={
                            "name": f"检查员{i}",
                            "badge_no": f"FCG-000{i}",
                            "region": "4506",
                            "specialties": ["食品"],
                        },
                    ),
                    201,
                )["id"]
                for i in range(1, 5)
            ]
            plan = _ok(
                api.post(
                    "/v1/inspection-plans",
                    json={
                        "title": "2026年防城港市双随机抽查",
                        "authority": "防城港市市场监督管理局",
                        "region": "4506",
                        "period_start": "2026-12-01",
                        "period_end": "2026-12-31",
                        "inspector_pool": ids[:2],
                    },
                ),
                201,
            )
            approved = _ok(api.post(f"/v1/inspection-plans/{plan['id']}/approval"))
            assert approved["seed"] is None and approved["candidate_count"] == 2
            drawn = _ok(api.post(f"/v1/inspection-plans/{plan['id']}/draw"))
            assert E in drawn["chosen"]
            (tmp_path / "draw.json").write_text(api.get(f"/v1/inspection-plans/{plan['id']}/candidates").text)

            # the README's recipe, as printed, recomputes the draw from the published data
            recipe = re.search(r"<!-- draw-recipe -->\s*```python\n(.*?)```", README.read_text(), re.S)
            assert recipe is not None
            cwd = os.getcwd()
            os.chdir(tmp_path)
            try:
                exec(compile(recipe.group(1), "README draw-recipe", "exec"), {})
            finally:
                os.chdir(cwd)

            [task] = _ok(api.get("/v1/inspection-tasks", params={"plan_id": plan["id"], "uscc": E}))["items"]
            url = f"/v1/inspection-tasks/{task['id']}/results"
            assert _ok(api.get(f"/v1/enterprises/{E}/credit"))["grade"] == "A"
            for body in (
                {"step": "sampled", "sample_ref": "FCG-2026-001", "product": "海鲜罐头", "category": "食品"},
                {"step": "tested", "result": "fail", "severity": "severe", "findings": "菌落总数超标"},
                {"step": "objection", "objection": "申请复检"},
                {"step": "retested", "result": "fail"},
            ):
                _ok(api.post(url, json=body))
            credit = _ok(api.get(f"/v1/enterprises/{E}/credit"))
            assert credit["grade"] == "C"
            assert any(e.get("source_ref") == f"inspection-task:{task['id']}" for e in credit["explanation"])
            assert "不合格" in httpx.get(f"{registry}/inspections/{plan['id']}").text

            for n in range(1, 7):
                _ok(
                    httpx.post(
                        f"{complaints}/v1/complaints",
                        json={
                            "kind": "complaint",
                            "channel": "12315",
                            "target_uscc": E,
                            "category": "food_safety",
                            "description": f"海鲜罐头胀罐第{n}例",
                            "reporter": {"name": "王小明", "phone": "13800138000"},
                        },
                    ),
                    201,
                )
            run = _ok(api.post("/v1/signal-runs"))
            assert run["ran"] and run["raised"] >= 1 and run["complaints_available"], run
            [warning] = [
                w
                for w in _ok(api.get("/v1/warnings", params={"status": "open"}))["items"]
                if w["signal"] == "complaints"
            ]
            assert (warning["region"], warning["category"], warning["count"]) == ("4506", "食品", 6)
            assert warning["level"] == "red"
            w = f"/v1/warnings/{warning['id']}"
            _ok(api.post(f"{w}/transitions", json={"action": "assess", "note": "区域性食品安全风险"}))
            _ok(
                api.post(
                    f"{w}/notices",
                    json={
                        "authority": "防城港市市场监督管理局",
                        "title_zh": "关于罐头食品的消费提示",
                        "body_zh": "近期罐头食品投诉增多，请注意查看包装是否胀罐。",
                        "title_en": "Consumer notice: canned food",
                        "body_en": "Complaints about canned food have risen; check for swollen cans.",
                    },
                ),
                201,
            )
            assert "关于罐头食品的消费提示" in httpx.get(f"{registry}/risk-notices").text
            assert "Consumer notice: canned food" in httpx.get(f"{registry}/risk-notices?lang=en").text
            directed = _ok(
                api.post(
                    f"{w}/directed-plan",
                    json={"authority": "防城港市市场监督管理局", "inspector_pool": ids[2:]},
                ),
                201,
            )
            assert directed["kind"] == "directed" and E in directed["targets"]
            _ok(api.post(f"/v1/inspection-plans/{directed['id']}/approval"))
            assert E in _ok(api.post(f"/v1/inspection-plans/{directed['id']}/draw"))["chosen"]
    assert process.returncode is not None
