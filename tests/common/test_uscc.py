import random

import pytest

from services.common import uscc


@pytest.mark.parametrize(
    "raw", ["91350100M000100Y43", " 91350100m000100y43 ", "９１３５０１００Ｍ０００１００Ｙ４３"]
)
def test_valid_code_normalised(raw: str) -> None:
    assert uscc.validate(raw) == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "rule", "message"),
    [
        ("91350100M000100Y4", "length", "must be 18 characters, got 17"),
        ("91350100M000100Y43X", "length", "must be 18 characters, got 19"),
        ("91350100M000100I43", "charset", "character 'I' at position 16 is not allowed"),
        ("91350100M000100Y44", "check_character", "should be 3, got 4"),
        ("91350100M000100Y53", "organisation_check", "(position 17, GB 11714) should be 4, got 5"),
    ],
)
def test_invalid_code_names_the_rule(raw: str, rule: str, message: str) -> None:
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(raw)
    assert caught.value.rule == rule
    assert message in str(caught.value)


def test_pilot_code_fails_check_unless_overridden() -> None:
    with pytest.raises(uscc.UsccError, match="check character"):
        uscc.validate("91350100M0001TGQXM")
    assert uscc.validate("91350100M0001TGQXM", allow_check_failure=True) == "91350100M0001TGQXM"


def test_generated_codes_pass_and_any_single_change_of_the_check_fails() -> None:
    rng = random.Random(7)
    for _ in range(300):
        stem = "".join(rng.choice(uscc.ALPHABET) for _ in range(16))
        code = uscc.with_check_characters(stem)
        assert uscc.validate(code) == code
        wrong = next(c for c in uscc.ALPHABET if c != code[17])
        with pytest.raises(uscc.UsccError):
            uscc.validate(code[:17] + wrong)


def test_organisation_check_maps_10_to_x_and_11_to_0() -> None:
    # 12345678 → weights give 11 - (sum % 11); pick bodies whose check is 10 and 11.
    bodies = {uscc.organisation_check_character(f"{n:08d}") for n in range(2000)}
    assert "X" in bodies and "0" in bodies and not bodies - set("0123456789X")
