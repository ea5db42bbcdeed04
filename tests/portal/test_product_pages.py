"""Portal pages for barcodes, read with httpx: the home box, the product page, failed products, recalls."""

from __future__ import annotations

import httpx

from services.common.gtin import check_digit
from services.common.roles import Role
from tests.portal.test_pages import html
from tests.support import Tokens, code, event_body, register

DAIRY = code(831)
MILK = "690666600001" + str(check_digit("690666600001"))


async def seed(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, DAIRY, "南宁市示例乳业有限公司")
    await registry.post(
        "/v1/company-prefixes",
        json={"prefix": "6906666", "uscc": DAIRY, "registered_on": "2026-01-01"},
        headers=reg,
    )
    created = await registry.post(
        f"/v1/enterprises/{DAIRY}/products",
        json={"gtin": MILK, "name": "纯牛奶 250mL", "brand": "示例"},
        headers=reg,
    )
    assert created.status_code == 201, created.text
    failed = await registry.post(
        f"/v1/enterprises/{DAIRY}/credit-events",
        json=event_body("桂市监抽〔2026〕9号", gtin=MILK, batch="20261015A", summary="蛋白质含量不合格"),
        headers=reg,
    )
    assert failed.status_code == 201, failed.text


async def test_the_home_box_leads_to_the_product_page(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await seed(registry, tokens)
    home = await html(registry, "/")
    assert "查条码" in home.text and "gtin" in home.labels
    go = await registry.get("/products", params={"gtin": f" {MILK[:6]} {MILK[6:]}"})
    assert go.status_code == 303 and go.headers["location"] == f"/products/{MILK}"
    product = await html(registry, f"/products/{MILK}")
    assert "纯牛奶 250mL" in product.text and "南宁市示例乳业有限公司" in product.text
    assert DAIRY in product.text and "6906666" in product.text
    # the failed spot check made the grade B: the page shows the grade the registry holds
    grade = (await registry.get(f"/v1/enterprises/{DAIRY}/credit")).json()["grade"]
    assert f"质量信用等级 {grade}" in product.text

    en = await html(registry, f"/products/{MILK}", params={"lang": "en"})
    assert en.lang == "en" and "Enterprise responsible for the product" in en.text


async def test_bad_and_unknown_barcodes_are_explained(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await seed(registry, tokens)
    wrong = MILK[:-1] + str((int(MILK[-1]) + 1) % 10)
    refused = await html(registry, "/products", status=422, params={"gtin": wrong})
    assert f"check digit should be {MILK[-1]}, got {wrong[-1]}" in refused.text
    unknown = "480000000001" + str(check_digit("480000000001"))
    missing = await html(registry, f"/products/{unknown}", status=404)
    assert unknown in missing.text
    in_store = "200000000001" + str(check_digit("200000000001"))
    restricted = await html(registry, f"/products/{in_store}", params={"lang": "en"})
    assert "restricted circulation" in restricted.text and "is not looked up" in restricted.text
    holder_only = "690666600002" + str(check_digit("690666600002"))
    holder = await html(registry, f"/products/{holder_only}")
    assert "该商品的编码信息尚未通报" in holder.text and "第十三条" in holder.text


async def test_failed_products_and_recalls_pages(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await seed(registry, tokens)
    failed = await html(registry, "/failed-products")
    assert "不合格产品公示" in failed.text
    for expected in (
        "纯牛奶 250mL",
        MILK,
        "20261015A",
        "南宁市示例乳业有限公司",
        "蛋白质含量不合格",
        "桂市监抽〔2026〕9号",
    ):
        assert expected in failed.text
    recalls = await html(registry, "/recalls", params={"lang": "en"})
    assert "Defective product recalls" in recalls.text and "Nothing recorded at present." in recalls.text
    await registry.post(
        f"/v1/enterprises/{DAIRY}/credit-events",
        json=event_body("桂市监召〔2026〕2号", kind="recall", severity="major", gtin=MILK, batch="20261015A"),
        headers=tokens(Role.regulator),
    )
    recalls = await html(registry, "/recalls")
    assert "桂市监召〔2026〕2号" in recalls.text and MILK in recalls.text
