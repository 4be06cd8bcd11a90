"""ID numbers (GB 11643) and credit codes (GB 32100) against known-good and known-bad values."""

from datetime import date

import pytest
from stdnum.cn import ric, uscc

from gridgov.registry.identity import (
    check_other_document,
    check_phone,
    check_ric,
    check_uscc,
    org_code_check_digit,
)
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
    (make_id("37999919800101123"), "地区代码"),                      # a province, but no such division
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


# --- issue 8: spaces, first-generation numbers, the whole GB 32100 structure ------------------------------


@pytest.mark.parametrize("written", [
    "371502 19800101 123X",            # grouped as printed on the card
    " 3715 0219 8001 0112 3x ",        # spaces anywhere, lower-case x
    "371502\u300019800101\u3000123X",   # full-width (ideographic) spaces from a Chinese input method
    "３７１５０２１９８００１０１１２３Ｘ",  # full-width digits
    "371502\u00a019800101123X",        # a no-break space pasted from a web page
])
def test_identity_numbers_written_with_spaces_or_full_width_characters_are_normalized(written):
    number = make_id("37150219800101123")
    assert number == "37150219800101123X"
    assert check_ric(written).number == number


def test_a_15_digit_first_generation_number_has_its_own_message():
    with pytest.raises(ValueError) as err:
        check_ric("371502800101123")
    assert str(err.value) == "这是15位一代身份证号码，请填写18位二代身份证号码"
    with pytest.raises(ValueError) as err:
        check_ric("3715 0280 0101 123")  # spaced too
    assert "15位一代" in str(err.value)
    with pytest.raises(ValueError) as err:  # 16 digits: still the length message
        check_ric("3715028001011234")
    assert str(err.value) == "身份证号码应为18位"


def test_non_ascii_digits_are_not_an_identity_number():
    with pytest.raises(ValueError, match="格式"):
        check_ric("\u0663" + make_id("37150219800101123")[1:])  # an Arabic-Indic 3


def make_uscc(head: str, body: str = "MA3C7Q1B") -> str:
    """A credit code built with the real algorithms: ``head`` (authority, category, region), the GB 11714
    body and its check character, then the GB 32100 check character."""
    seventeen = head + body + org_code_check_digit(body)
    return seventeen + uscc.calc_check_digit(seventeen)


def test_the_gb_11714_check_character():
    # published organisation codes: 60003734-1 (in 91110000600037341L), 55138508-2 (in 91110108551385082Q)
    assert org_code_check_digit("60003734") == "1" and org_code_check_digit("55138508") == "2"
    assert org_code_check_digit("MA3C7Q1B") == "9"


@pytest.mark.parametrize("code, reason", [
    ("91371502MA3C7Q1B01", "组织机构代码校验位"),   # the embedded organisation code's check character is 9, not 0
    ("99371502MA3C7Q1B94", "机构类别码不匹配"),     # 工商 has categories 1–3 only
    ("91000000MA3C7Q1B9Q", "行政区划码不存在"),     # no region
    (make_uscc("91990000"), "行政区划码不存在"),     # no province 99
    (make_uscc("91379999"), "行政区划码不存在"),     # a province, but no such division
    (make_uscc("B1371502"), "机构类别码不匹配"),     # no authority B
    (make_uscc("Y2371502"), "机构类别码不匹配"),     # 其他 is always 1
    (make_uscc("N4371502"), "机构类别码不匹配"),
    ("91371502MA3C7Q1B9Q", "校验位不正确"),         # the GB 32100 check character (W) is wrong
])
def test_credit_codes_the_review_found_accepted_are_refused(code, reason):
    with pytest.raises(ValueError) as err:
        check_uscc(code)
    assert reason in str(err.value)


@pytest.mark.parametrize("code", [
    "91110000600037341L",            # published examples
    "91110108551385082Q",
    make_uscc("91371502"),           # an enterprise in 东昌府区
    make_uscc("92371502"),           # 个体工商户
    make_uscc("93371521"),           # 农民专业合作社 in 阳谷县
    make_uscc("12371500"),           # 事业单位 of 聊城市
    make_uscc("51100000"),           # a national 社会团体 (民政部, region 100000)
    make_uscc("N2371502"),           # 村级集体经济组织: a letter authority
    make_uscc("Y1371502"),
    make_uscc("A1110000"),
    make_uscc("31371502"),           # 律师执业机构
    make_uscc("91810000"),           # Hong Kong (81)
])
def test_valid_credit_codes_built_with_the_real_algorithms_are_accepted(code):
    assert check_uscc(code) == code
    assert check_uscc(" ".join([code[:2], code[2:8], code[8:]]).lower()) == code  # spaced, lower case


def test_a_credit_code_with_letters_outside_its_alphabet_is_a_format_error():
    with pytest.raises(ValueError, match="格式"):
        check_uscc("91371502MA3C7Q1BIO")
