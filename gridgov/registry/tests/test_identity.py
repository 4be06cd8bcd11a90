"""ID numbers (GB 11643) and credit codes (GB 32100) against known-good and known-bad values."""

from datetime import date

import pytest
from stdnum.cn import ric

from gridgov.registry.identity import check_other_document, check_phone, check_ric, check_uscc
from gridgov.registry.tests.conftest import make_id


@pytest.mark.parametrize("number,born,sex", [
    ("11010519491231002X", date(1949, 12, 31), "F"),  # the standard's own example, check character X
    ("11010519491231002x", date(1949, 12, 31), "F"),  # lower-case x is the same number
    (make_id("37150219800101123"), date(1980, 1, 1), "M"),
    (make_id("37150220240229002"), date(2024, 2, 29), "F"),  # a real leap day
    # 东昌府区 (371502) was created in 1997; people born earlier who registered there carry its code
    (make_id("37150219650315004"), date(1965, 3, 15), "F"),
])
def test_valid_identity_numbers_give_birth_date_and_sex(number, born, sex):
    checked = check_ric(number)
    assert checked.birth_date == born and checked.sex == sex and checked.number == number.upper()


def test_the_x_check_character_is_computed_and_required():
    assert ric.calc_check_digit("11010519491231002?") == "X"
    with pytest.raises(ValueError, match="校验位"):
        check_ric("110105194912310020")


@pytest.mark.parametrize("number,reason", [
    ("110105194912310021", "校验位"),                              # wrong check digit
    (make_id("11010519490230002"), "出生日期"),                      # 30 February
    (make_id("11010520230229002"), "出生日期"),                      # 2023 was not a leap year
    (make_id("11010521000101002"), "出生日期"),                      # born in the future
    ("1101051949123100", "18位"),                                    # too short
    ("", "请填写"),
    ("ABCDEFGHIJKLMNOPQR", "格式"),                                  # not digits
    (make_id("99999919800101123"), "地区代码"),                      # no such region
])
def test_bad_identity_numbers_are_refused_with_a_reason(number, reason):
    with pytest.raises(ValueError) as err:
        check_ric(number)
    assert reason in str(err.value)


@pytest.mark.parametrize("code", ["91110108551385082Q", "91350100M000100Y43", "11100000000013127D"])
def test_valid_credit_codes(code):
    assert check_uscc(code) == code


@pytest.mark.parametrize("code", ["91110108551385082A", "9111010855138508", "91110108551385082QQ", "IIIIIIIIIIIIIIIIII"])
def test_bad_credit_codes(code):
    with pytest.raises(ValueError):
        check_uscc(code)


def test_other_documents_and_phones():
    assert check_other_document(" e 1234 5678 ").number == "E12345678"
    with pytest.raises(ValueError):
        check_other_document("E#1")
    assert check_phone("138-1234-5678") == "13812345678" and check_phone("+8613812345678") == "13812345678"
    assert check_phone("0635-8281234") == "06358281234"
    with pytest.raises(ValueError):
        check_phone("12")
