"""Identity documents and credit codes: validated with python-stdnum, never hand-written checksums."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc


@dataclass(frozen=True)
class CheckedId:
    number: str  # canonical (compact, upper case)
    birth_date: date | None
    sex: str  # "M" / "F" / ""


def check_ric(value: str, today: date | None = None) -> CheckedId:
    """A 居民身份证 number (GB 11643): 18 characters, the check character (incl. X), a birth date
    that exists and is not in the future, and a known region code.

    python-stdnum does the checksum, the date and the code table.  We deliberately do *not* use its
    full ``validate``: it also demands that the county code existed in the holder's birth year, but
    numbers are issued at first registration, often years after birth (东昌府区 371502 dates from
    1997, and residents born before then carry it), so that rule would refuse real people.
    Raises ValueError with a Chinese message.
    """
    raw = (value or "").strip().upper()
    if not raw:
        raise ValueError(_("请填写身份证号码"))
    number = ric.compact(raw)
    if len(number) != 18:
        raise ValueError(_("身份证号码应为18位"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError(_("身份证号码格式不正确"))
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError(_("身份证号码校验位不正确"))
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValueError(_("身份证号码中的出生日期不存在")) from None
    today = today or date.today()
    if born > today or born.year < 1880:
        raise ValueError(_("身份证号码中的出生日期不合理"))
    if not _known_region(number[:6]):
        raise ValueError(_("身份证号码中的地区代码不存在"))
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return CheckedId(number=number, birth_date=born, sex=sex)


def _known_region(code6: str) -> bool:
    """The code is in stdnum's table of division codes, in any period."""
    from stdnum import numdb

    return any(props for _part, props in numdb.get("cn/loc").info(code6))


def check_other_document(value: str) -> CheckedId:
    raw = "".join((value or "").split()).upper()
    if not (4 <= len(raw) <= 32) or not raw.isalnum():
        raise ValueError(_("证件号码应为4至32位字母或数字"))
    return CheckedId(number=raw, birth_date=None, sex="")


def check_uscc(value: str) -> str:
    """统一社会信用代码 (GB 32100). Raises ValueError with a Chinese message."""
    raw = (value or "").strip().upper()
    try:
        return uscc.validate(raw)
    except stdnum_errors.InvalidLength:
        raise ValueError(_("统一社会信用代码应为18位")) from None
    except stdnum_errors.InvalidChecksum:
        raise ValueError(_("统一社会信用代码校验位不正确")) from None
    except stdnum_errors.ValidationError:
        raise ValueError(_("统一社会信用代码格式不正确")) from None


def check_phone(value: str) -> str:
    raw = "".join((value or "").split()).replace("-", "")
    if not raw:
        return ""
    if raw.startswith("+86"):
        raw = raw[3:]
    if len(raw) == 11 and raw.isdigit() and raw.startswith("1"):
        return raw
    if 7 <= len(raw) <= 12 and raw.isdigit():  # a landline with its area code
        return raw
    raise ValueError(_("电话号码格式不正确"))
