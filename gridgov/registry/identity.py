"""Identity documents and credit codes: validated with python-stdnum, never hand-written checksums."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc


@dataclass(frozen=True)
class CheckedId:
    number: str  # canonical (compact, upper case)
    birth_date: date | None
    sex: str  # "M" / "F" / ""


def _compact(value: str) -> str:
    """NFKC (full-width digits and letters), every kind of space removed (incl. U+3000), upper case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def check_ric(value: str, today: date | None = None) -> CheckedId:
    """A 居民身份证 number (GB 11643): 18 characters, the check character (incl. X), a birth date
    that exists and is not in the future, and a known region code.

    python-stdnum does the checksum and the code table; the date is read from the compact number
    (stdnum's ``get_birth_date`` cleans it again, a third of the check's time in an import).  We deliberately
    do *not* use its full ``validate``: it also demands that the county code existed in the holder's birth year, but
    numbers are issued at first registration, often years after birth (东昌府区 371502 dates from
    1997, and residents born before then carry it), so that rule would refuse real people.
    Spaces (also full-width ones) and full-width characters are normalized first; a 15-digit
    first-generation number gets its own message.  Raises ValueError with a Chinese message.
    """
    number = _compact(value)
    if not number:
        raise ValueError(_("请填写身份证号码"))
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ValueError(_("这是15位一代身份证号码，请填写18位二代身份证号码"))
    if len(number) != 18:
        raise ValueError(_("身份证号码应为18位"))
    if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError(_("身份证号码格式不正确"))
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError(_("身份证号码校验位不正确"))
    try:  # positions 7–14 are YYYYMMDD (GB 11643); the number is compact already, so it is read directly
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(_("身份证号码中的出生日期不存在")) from None
    today = today or date.today()
    if born > today or born.year < 1880:
        raise ValueError(_("身份证号码中的出生日期不合理"))
    if not _known_region(number[:6]):
        raise ValueError(_("身份证号码中的地区代码不存在"))
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return CheckedId(number=number, birth_date=born, sex=sex)


@lru_cache(maxsize=8192)  # a few thousand division codes: bounded, and the table lookup is the check's slow part
def _known_region(code6: str) -> bool:
    """The code is in stdnum's table of division codes, in any period: the province *and* the rest of the
    code (379999 is in a known province but is no division)."""
    from stdnum import numdb

    parts = numdb.get("cn/loc").info(code6)
    return len(parts) >= 2 and all(props for _part, props in parts)


def check_other_document(value: str) -> CheckedId:
    raw = _compact(value)
    if not (4 <= len(raw) <= 32) or not raw.isascii() or not raw.isalnum():
        raise ValueError(_("证件号码应为4至32位字母或数字"))
    return CheckedId(number=raw, birth_date=None, sex="")


# GB 32100-2015 表1 (with amendment 1): registration authority (1st character) → its categories (2nd)
USCC_CATEGORIES = {
    "1": "1239",     # 机构编制: 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": "19",       # 外交: 外国常驻新闻机构, 其他
    "3": "123459",   # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",       # 文化: 外国在华文化中心, 其他
    "5": "1239",     # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",      # 旅游: 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻内地(大陆)代表机构, 其他
    "7": "129",      # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",       # 工会: 基层工会, 其他
    "9": "123",      # 工商(市场监管): 企业, 个体工商户, 农民专业合作社
    "A": "19",       # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",     # 农业: 组级/村级/乡镇级集体经济组织, 其他
    "Y": "1",        # 其他: not divided, always 1
}
# provinces (GB/T 2260), and 10 for the national registration authorities (100000)
PROVINCES = {"10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
             "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81",
             "82"}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CHARS = set("0123456789ABCDEFGHJKLMNPQRTUWXY")


def org_code_check_digit(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body: digits count as themselves,
    letters A=10 … Z=35; C = 11 − (Σ value × weight mod 11), 10 → X, 11 → 0."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def check_uscc(value: str) -> str:
    """统一社会信用代码 (GB 32100): 18 characters of the code's alphabet, the ISO 7064 check character
    (python-stdnum), the registration authority / category pair, the registering authority's division
    code (chars 3–8: a province and a code in stdnum's division table, or 100000 for the national ones)
    and the check character of the embedded GB 11714 organisation code (chars 9–17).
    Raises ValueError with a Chinese message."""
    raw = "".join(unicodedata.normalize("NFKC", value or "").split()).replace("-", "").upper()
    if len(raw) != 18:
        raise ValueError(_("统一社会信用代码应为18位"))
    if not raw.isascii() or any(c not in _USCC_CHARS for c in raw) or not raw[2:8].isdigit():
        raise ValueError(_("统一社会信用代码格式不正确"))
    if uscc.calc_check_digit(raw) != raw[17]:
        raise ValueError(_("统一社会信用代码校验位不正确"))
    if raw[1] not in USCC_CATEGORIES.get(raw[0], ""):
        raise ValueError(_("统一社会信用代码的登记管理部门码与机构类别码不匹配"))
    region = raw[2:8]
    if region != "100000" and (region[:2] not in PROVINCES or not _known_region(region)):
        raise ValueError(_("统一社会信用代码中的登记管理机关行政区划码不存在"))
    if org_code_check_digit(raw[8:16]) != raw[16]:
        raise ValueError(_("统一社会信用代码中的组织机构代码校验位不正确"))
    return raw


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
