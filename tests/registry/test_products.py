"""Company prefixes, items and the barcode lookup, on both databases."""

from __future__ import annotations

import httpx

from services.common.gtin import check_digit
from services.common.roles import Role
from tests.support import Tokens, code, event_body, register

DAIRY, BAKERY = code(801), code(802)


def gtin_of(body: str) -> str:
    return body + str(check_digit(body))


MILK = gtin_of("690123400001")  # under prefix 6901234 (DAIRY)
BREAD = gtin_of("690123456001")  # under prefix 690123456 (BAKERY): the longer prefix wins


async def seed(registry: httpx.AsyncClient, tokens: Tokens) -> dict[str, str]:
    reg = tokens(Role.regulator)
    await register(registry, reg, DAIRY, "南宁市示例乳业有限公司")
    await register(registry, reg, BAKERY, "南宁市示例食品有限公司")
    for prefix, holder in (("6901234", DAIRY), ("690123456", BAKERY)):
        created = await registry.post(
            "/v1/company-prefixes",
            json={"prefix": prefix, "uscc": holder, "registered_on": "2025-06-01"},
            headers=reg,
        )
        assert created.status_code == 201, created.text
        # Art. 24: valid two years
        assert created.json()["valid_until"] == "2027-06-01" and created.json()["status"] == "valid"
    return reg


async def test_an_enterprise_publishes_its_own_items_only(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    await seed(registry, tokens)
    own = tokens(Role.enterprise, uscc=DAIRY)
    body = {"gtin": MILK, "name": "纯牛奶 250mL", "brand": "示例"}
    created = await registry.post(f"/v1/enterprises/{DAIRY}/products", json=body, headers=own)
    assert created.status_code == 201, created.text
    assert created.json()["gtin"] == MILK and created.json()["uscc"] == DAIRY
    again = await registry.post(f"/v1/enterprises/{DAIRY}/products", json=body, headers=own)
    assert again.status_code == 409

    other = tokens(Role.enterprise, uscc=BAKERY)
    refused = await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={**body, "gtin": gtin_of("690123400002")}, headers=other
    )
    assert refused.status_code == 403
    # the dairy cannot publish a GTIN under the bakery's prefix (Art. 19)
    foreign = await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={"gtin": BREAD, "name": "吐司"}, headers=own
    )
    assert foreign.status_code == 409 and "690123456" in foreign.json()["detail"]
    by_regulator = await registry.post(
        f"/v1/enterprises/{BAKERY}/products",
        json={"gtin": BREAD, "name": "吐司"},
        headers=tokens(Role.regulator),
    )
    assert by_regulator.status_code == 201
    bad = await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={"gtin": MILK[:-1] + "0", "name": "x"}, headers=own
    )
    assert bad.status_code == 422 and f"check digit should be {MILK[-1]}, got 0" in bad.json()["detail"]
    coupon = await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={"gtin": gtin_of("200000000001"), "name": "x"}, headers=own
    )
    assert coupon.status_code == 422 and "restricted circulation" in coupon.json()["detail"]
    listed = (await registry.get(f"/v1/enterprises/{DAIRY}/products")).json()["items"]
    assert [p["gtin"] for p in listed] == [MILK]


async def test_lookup_names_the_responsible_enterprise(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await seed(registry, tokens)
    await registry.post(
        f"/v1/enterprises/{DAIRY}/products",
        json={"gtin": MILK, "name": "纯牛奶 250mL"},
        headers=tokens(Role.enterprise, uscc=DAIRY),
    )
    found = await registry.get(f"/v1/products/{MILK}")
    assert found.status_code == 200, found.text
    answer = found.json()
    assert answer["result"] == "item" and answer["uscc"] == DAIRY
    assert answer["item"]["name"] == "纯牛奶 250mL"
    assert answer["enterprise"]["grade"] == "A" and answer["enterprise"]["name"] == "南宁市示例乳业有限公司"
    assert answer["prefix"]["prefix"] == "6901234" and answer["warnings"] == []

    # the same item written as a GTIN-14 with full-width digits and a space
    wide = "０" + MILK[:6].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " " + MILK[6:]
    assert (await registry.get(f"/v1/products/{wide}")).json()["uscc"] == DAIRY

    # no item: the holder of the longest prefix, with the item-not-notified warning
    holder = (await registry.get(f"/v1/products/{gtin_of('690123456777')}")).json()
    assert holder["result"] == "prefix_holder" and holder["uscc"] == BAKERY and holder["item"] is None
    assert [w["code"] for w in holder["warnings"]] == ["item_not_notified"]

    bad = await registry.get(f"/v1/products/{MILK[:-1]}{(int(MILK[-1]) + 3) % 10}")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["rule"] == "check_digit"
    assert bad.json()["detail"] == f"gtin: check digit should be {MILK[-1]}, got {(int(MILK[-1]) + 3) % 10}"
    assert (await registry.get("/v1/products/12345")).json()["errors"][0]["rule"] == "length"

    unknown = await registry.get(f"/v1/products/{gtin_of('480000000001')}")
    assert unknown.status_code == 404
    restricted = (await registry.get(f"/v1/products/{gtin_of('250000000001')}")).json()
    assert restricted["result"] == "restricted" and restricted["uscc"] is None
    assert restricted["restricted"]["kind"] == "restricted_circulation"


async def test_cancelled_and_expired_prefixes_are_warned(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = await seed(registry, tokens)
    cancel = await registry.post(
        "/v1/company-prefixes/690123456/transitions",
        json={"action": "cancel", "reason": "逾期未续展"},
        headers=reg,
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    answer = (await registry.get(f"/v1/products/{BREAD}")).json()
    assert answer["uscc"] == BAKERY
    assert "prefix_cancelled" in [w["code"] for w in answer["warnings"]]
    publish = await registry.post(
        f"/v1/enterprises/{BAKERY}/products", json={"gtin": BREAD, "name": "吐司"}, headers=reg
    )
    assert publish.status_code == 409 and "第二十八条" in publish.json()["detail"]
    cancelled = (await registry.get("/v1/company-prefixes", params={"status": "cancelled"})).json()["items"]
    assert [p["prefix"] for p in cancelled] == ["690123456"]

    old = await registry.post(
        "/v1/company-prefixes",
        json={"prefix": "6909999", "uscc": DAIRY, "registered_on": "2022-01-01"},
        headers=reg,
    )
    assert old.json()["status"] == "expired"  # valid until 2024-01-01; today is 2026-11-20
    expired = (await registry.get(f"/v1/products/{gtin_of('690999900001')}")).json()
    assert "prefix_expired" in [w["code"] for w in expired["warnings"]]
    renewed = await registry.post(
        "/v1/company-prefixes/6909999/transitions",
        json={"action": "renew", "valid_until": "2028-01-01"},
        headers=reg,
    )
    assert renewed.json()["status"] == "valid"
    duplicate = await registry.post(
        "/v1/company-prefixes",
        json={"prefix": "6909999", "uscc": BAKERY, "registered_on": "2026-01-01"},
        headers=reg,
    )
    assert duplicate.status_code == 409


async def test_partner_batch_is_answered_per_code_and_logged(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = await seed(registry, tokens)
    partner = tokens(Role.partner, subject="retail-platform-1")
    body = {"gtins": [MILK, "123", gtin_of("250000000001"), gtin_of("480000000001"), BREAD]}
    answer = await registry.post("/v1/products:batch", json=body, headers=partner)
    assert answer.status_code == 200, answer.text
    results = [(i["result"], i["uscc"]) for i in answer.json()["items"]]
    assert results == [
        ("prefix_holder", DAIRY),
        ("invalid", None),
        ("restricted", None),
        ("not_found", None),
        ("prefix_holder", BAKERY),
    ]
    assert answer.json()["items"][1]["error"] == "a GTIN has 8, 12, 13 or 14 digits, got 3"
    log = (await registry.get("/v1/access-log", params={"partner": "retail-platform-1"}, headers=reg)).json()
    assert log["items"][0]["lookup"] == "products:batch"
    assert sorted(log["items"][0]["usccs"]) == sorted([DAIRY, BAKERY])
    too_many = await registry.post("/v1/products:batch", json={"gtins": [MILK] * 1001}, headers=partner)
    assert too_many.status_code == 413
    assert (
        await registry.post("/v1/products:batch", json=body, headers=tokens(Role.enterprise, uscc=DAIRY))
    ).status_code == 403


async def test_failed_products_and_recalls_are_public(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = await seed(registry, tokens)
    await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={"gtin": MILK, "name": "纯牛奶 250mL"}, headers=reg
    )
    failed = await registry.post(
        f"/v1/enterprises/{DAIRY}/credit-events",
        json=event_body(
            "桂市监抽〔2026〕7号",
            gtin=MILK,
            batch="20261015A",
            test_report_no="GXQT-2026-0815",
            summary="蛋白质含量不合格（标准值≥2.9 g/100g，实测2.5 g/100g）",
        ),
        headers=reg,
    )
    assert failed.status_code == 201, failed.text
    assert failed.json()["gtin"] == MILK and failed.json()["test_report_no"] == "GXQT-2026-0815"
    await registry.post(
        f"/v1/enterprises/{BAKERY}/credit-events", json=event_body("桂市监抽〔2026〕8号"), headers=reg
    )  # no product named: not on the product list
    listed = (await registry.get("/v1/failed-products")).json()["items"]
    assert len(listed) == 1
    row = listed[0]
    assert (row["gtin"], row["product"], row["batch"], row["uscc"]) == (
        MILK,
        "纯牛奶 250mL",
        "20261015A",
        DAIRY,
    )
    assert row["source_ref"] == "桂市监抽〔2026〕7号" and row["result"].startswith("蛋白质含量不合格")
    bad = await registry.post(
        f"/v1/enterprises/{DAIRY}/credit-events", json=event_body("x", gtin="6901234000010"), headers=reg
    )
    assert bad.status_code == 422 and "check digit" in bad.text

    recall = await registry.post(
        f"/v1/enterprises/{DAIRY}/credit-events",
        json=event_body("桂市监召〔2026〕1号", kind="recall", severity="major", gtin=MILK, batch="20261015A"),
        headers=reg,
    )
    assert recall.status_code == 201, recall.text
    recalls = (await registry.get("/v1/recalls")).json()["items"]
    assert [(r["gtin"], r["source_ref"]) for r in recalls] == [(MILK, "桂市监召〔2026〕1号")]
    revoked = await registry.post(
        f"/v1/credit-events/{failed.json()['id']}/revocation", json={"reason": "复检合格"}, headers=reg
    )
    assert revoked.status_code == 200
    assert (await registry.get("/v1/failed-products")).json()["items"] == []
