"""Table models are SQLModel classes that behave as plain ORM rows: a misspelt column is an error,
a row equals only itself and can be kept in a set, and its repr shows no stored values (so a log
line that prints a case never carries a reporter's details)."""

import pytest

from services.complaints.cases.models import Complaint
from services.complaints.database import load_models as load_complaints
from services.registry.database import load_models as load_registry
from services.registry.enterprises.models import Enterprise

load_registry()
load_complaints()


def test_a_keyword_naming_no_column_is_refused() -> None:
    with pytest.raises(TypeError, match="no column nmae"):
        Enterprise(uscc="91350100M000100Y43", nmae="福州示例食品有限公司")


def test_rows_compare_by_identity_and_hash() -> None:
    a = Enterprise(uscc="91350100M000100Y43", name="福州示例食品有限公司")
    b = Enterprise(uscc="91350100M000100Y43", name="福州示例食品有限公司")
    assert a != b
    assert a == a
    assert len({a, b}) == 2


def test_repr_carries_no_stored_value() -> None:
    case = Complaint(reporter_name_enc="secret-name-ciphertext", description="鲜牛奶变质")
    shown = repr(case) + str(case)
    assert "secret-name-ciphertext" not in shown
    assert "鲜牛奶" not in shown
