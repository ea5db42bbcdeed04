"""Portal labels for barcodes, products, failed products and recalls: (zh, en)."""

from __future__ import annotations

PRODUCT_MESSAGES: dict[str, tuple[str, str]] = {
    "nav_failed": ("不合格产品", "Failed products"),
    "nav_recalls": ("缺陷产品召回", "Recalls"),
    "barcode_label": ("查条码", "Look up a barcode"),
    "barcode_hint": (
        "输入商品包装上的条码数字（8、12、13 或 14 位）。",
        "Enter the digits under the barcode on the package (8, 12, 13 or 14 digits).",
    ),
    "barcode_button": ("查条码", "Look up"),
    "barcode_empty": ("请输入条码数字。", "Please enter the barcode's digits."),
    "barcode_invalid": ("条码 {code} 不正确：{reason}", "The barcode {code} is not valid: {reason}"),
    "barcode_not_found": (
        "没有登记条码 {code} 的商品，也没有持有其厂商识别代码的企业。",
        "No item is registered under {code}, and no enterprise holds its company prefix.",
    ),
    "barcode_restricted": (
        "条码 {code} 属于“{label}”，不对应某一企业的商品，无法查询。",
        "The barcode {code} is a {label}: it does not identify one company's product and is not looked up.",
    ),
    "product_title": ("条码 {code}", "Barcode {code}"),
    "product_item": ("商品", "Item"),
    "product_name": ("名称", "Name"),
    "product_brand": ("品牌", "Brand"),
    "product_category": ("类别", "Category"),
    "product_no_item": (
        "该条码的商品尚未通报；以下是持有其厂商识别代码的企业。",
        "No item has been notified under this barcode; this is the enterprise holding its company prefix.",
    ),
    "product_responsible": ("对商品承担质量责任的企业", "Enterprise responsible for the product"),
    "product_prefix": ("厂商识别代码", "Company prefix"),
    "product_prefix_until": ("有效期至", "Valid until"),
    "prefix_status_valid": ("有效", "valid"),
    "prefix_status_expired": ("已过期", "expired"),
    "prefix_status_cancelled": ("已注销", "cancelled"),
    "product_grade": ("质量信用等级", "Quality-credit grade"),
    "product_on_black": ("列入严重违法失信名单", "On the black list"),
    "product_on_red": ("列入守信激励名单", "On the red list"),
    "product_declarations": ("执行标准（自我声明公开）", "Standards it follows (self-declared)"),
    "product_warnings": ("提示", "Warnings"),
    "warning_prefix_expired": (
        "该厂商识别代码已过有效期且未续展。",
        "This company prefix has passed its validity and was not renewed.",
    ),
    "warning_prefix_cancelled": (
        "该厂商识别代码已被注销，不得继续使用。",
        "This company prefix was cancelled and may no longer be used.",
    ),
    "warning_item_not_notified": ("该商品的编码信息尚未通报。", "The item's code has not been notified."),
    "warning_prefix_unknown": (
        "没有登记的厂商识别代码覆盖该条码。",
        "No registered company prefix covers this barcode.",
    ),
    "failed_title": ("不合格产品公示", "Products that failed a spot check"),
    "failed_intro": (
        "监督抽查检验不合格的产品：产品、条码、批次、企业、检验结果及所属抽查。",
        "Products found non-conforming in official spot checks: product, barcode, batch, enterprise, "
        "test result and the spot check.",
    ),
    "recalls_title": ("缺陷产品召回", "Defective product recalls"),
    "recalls_intro": (
        "已记录的缺陷产品召回：产品、条码、批次、企业与决定文号。",
        "Recorded recalls of defective products: product, barcode, batch, enterprise and decision.",
    ),
    "col_product": ("产品", "Product"),
    "col_barcode": ("条码", "Barcode"),
    "col_batch": ("批次", "Batch"),
    "col_enterprise": ("企业", "Enterprise"),
    "col_result": ("检验结果 / 原因", "Test result / reason"),
    "col_source": ("抽查 / 决定", "Spot check / decision"),
    "col_report": ("检验报告编号", "Test report no."),
    "col_date": ("日期", "Date"),
    "events_empty": ("目前没有记录。", "Nothing recorded at present."),
}
