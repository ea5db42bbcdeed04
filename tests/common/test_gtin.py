"""The GTIN rules against published examples, and the answers that name the rule broken."""

from __future__ import annotations

import pytest

from services.common import gtin

# Published examples: 4006381333931 (the worked EAN-13 example on Wikipedia "International Article
# Number"), 9501101530003 (a GTIN-13 under prefix 950, GS1 Global Office, used in GS1 examples),
# 96385074 (Wikipedia "EAN-8"), 036000291452 (Wikipedia "Universal Product Code"). Worked by hand:
# 400638133393 from the right, weights 3,1,…: 9+9+9+3+9+1+24+3+18+0+0+4 = 89 → check 1;
# 950110153000: 0+0+0+3+15+1+0+1+3+0+15+9 = 47 → check 3.
PUBLISHED = ["4006381333931", "9501101530003", "96385074", "036000291452"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_examples_pass(code: str) -> None:
    assert gtin.validate(code) == code


@pytest.mark.parametrize(
    ("code", "expected", "got"),
    [("4006381333932", 1, 2), ("9501101530007", 3, 7), ("96385070", 4, 0), ("036000291453", 2, 3)],
)
def test_a_wrong_check_digit_is_refused_with_the_right_one(code: str, expected: int, got: int) -> None:
    with pytest.raises(gtin.GtinError) as caught:
        gtin.validate(code)
    assert caught.value.rule == "check_digit"
    assert caught.value.message == f"check digit should be {expected}, got {got}"


def test_gtin14_is_the_same_item_padded() -> None:
    assert gtin.validate("09501101530003") == "09501101530003"
    assert gtin.as_gtin14("9501101530003") == gtin.as_gtin14("09501101530003")
    # indicator digit 1: a different (case-level) GTIN, with its own check digit
    assert gtin.validate("19501101530000") == "19501101530000"


def test_spaces_and_full_width_digits_are_normalised_nothing_else() -> None:
    assert gtin.validate(" 400 6381　333931 ") == "4006381333931"
    assert gtin.validate("４００６３８１３３３９３１") == "4006381333931"
    with pytest.raises(gtin.GtinError) as caught:
        gtin.validate("4006381-333931")
    assert caught.value.rule == "digits" and "'-' at position 8" in caught.value.message


@pytest.mark.parametrize("code", ["400638133393", "40063813339311", "1234567", "123456789012345"])
def test_lengths_other_than_8_12_13_14_are_refused(code: str) -> None:
    # 12 and 14 digits are lengths GTINs have: those fail on the check digit, not the length
    with pytest.raises(gtin.GtinError) as caught:
        gtin.validate(code)
    if len(code) in (12, 14):
        assert caught.value.rule == "check_digit"
    else:
        assert caught.value.rule == "length"
        assert caught.value.message == f"a GTIN has 8, 12, 13 or 14 digits, got {len(code)}"


def _with_check(body: str) -> str:
    return body + str(gtin.check_digit(body))


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("200123456789", "restricted_circulation"),  # in-store / variable measure (200–299)
        ("299999999999", "restricted_circulation"),
        ("020123456789", "restricted_circulation"),  # 020–029 (GTIN-13 view of a UPC-A 2…)
        ("045000000000", "restricted_circulation"),  # 040–049, within a company
        ("980000000001", "refund_receipt"),
        ("981000000001", "coupon"),
        ("990000000001", "coupon"),
        ("0012345", "restricted_circulation"),  # RCN-8, GS1-8 prefix 0
        ("2012345", "restricted_circulation"),  # RCN-8, GS1-8 prefix 2
    ],
)
def test_restricted_and_coupon_ranges_are_recognised(body: str, kind: str) -> None:
    found = gtin.special_range(gtin.validate(_with_check(body)))
    assert found is not None and found.kind == kind


def test_upc_a_number_system_2_is_restricted_through_its_gtin13_view() -> None:
    upc = _with_check("21234567890")  # 12 digits, GTIN-13 view 0212…: prefix 021
    assert gtin.special_range(gtin.validate(upc)) is not None


@pytest.mark.parametrize("code", [*PUBLISHED, _with_check("690123456789"), _with_check("97873020000")])
def test_ordinary_items_are_not_special(code: str) -> None:
    assert gtin.special_range(gtin.validate(code)) is None
