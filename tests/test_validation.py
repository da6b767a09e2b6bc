"""Tests for portal.validation (domain.md 8.1, 8.2, 8.4, 9.3)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.validation import (
    EARLIEST_BIRTH_DATE,
    PROVINCE_CODES,
    InvalidValue,
    ResidentId,
    age_on,
    format_cn_date,
    fullwidth_to_ascii,
    id_check_char,
    mask_id,
    mask_name_for_report,
    mask_phone,
    normalize_phone,
    normalize_text,
    parse_amount,
    parse_cn_date,
    parse_resident_id,
    validate_phone,
)

TODAY = date(2026, 11, 29)
EXT_B = "\U00020BB7"  # 𠮷, CJK Unified Ideographs Extension B, outside the BMP


def fw(s: str) -> str:
    """Full-width form of an ASCII string (test helper)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c)
                   for c in s)


# ---------------------------------------------------------------------------
# normalize_text / fullwidth_to_ascii
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  张三  ", "张三"),
        ("张　三", "张 三"),  # U+3000 ideographic space
        ("ＡＢＣ　１２３", "ABC 123"),
        ("ａｂｃ", "abc"),
        ("line1\n\n\tline2", "line1 line2"),
        ("a \u00a0\u2003 b", "a b"),  # NBSP and EM SPACE count as whitespace
        ("张\u200b三\ufeff", "张三"),  # zero-width space and BOM removed
        ("王" + EXT_B, "王" + EXT_B),  # Ext-B kept
        ("\U0002A6A5\U0002B820", "\U0002A6A5\U0002B820"),  # more supplementary-plane CJK
        ("张三（化名）", "张三（化名）"),  # Chinese punctuation kept
        ("村委会：李四，王五；赵六！？", "村委会：李四，王五；赵六！？"),
        ("①号楼", "①号楼"),  # NFKC would give "1号楼"
        ("\uf900", "\uf900"),  # CJK compatibility ideograph not rewritten (NFC/NFKC would)
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_keeps_supplementary_characters_as_single_code_points():
    out = normalize_text(f"　{EXT_B}明　")
    assert out == f"{EXT_B}明"
    assert len(out) == 2


@pytest.mark.parametrize(
    "raw, expected",
    [
        (fw("138-0013 8000"), "138-0013 8000"),
        ("（０１０）", "(010)"),
        ("２０２６／１０／３", "2026/10/3"),
        ("１．５", "1.5"),
        ("张三" + EXT_B, "张三" + EXT_B),
    ],
)
def test_fullwidth_to_ascii(raw, expected):
    assert fullwidth_to_ascii(raw) == expected


# ---------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("(138)00138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (fw("138-0013-8000"), "13800138000"),
        ("13800138000.0", "13800138000"),  # spreadsheet float
        ("13800138000.00", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("(+86)13800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("＋８６　１３８００１３８０００", "13800138000"),
        ("010-65529988", "01065529988"),
        ("(010)65529988", "01065529988"),
        ("（０１０）６５５２９９８８", "01065529988"),
        ("010-6552-9988", "01065529988"),  # hyphen inside the number: not an extension
        ("0755-2345678", "07552345678"),
        ("+86 10 6552 9988", "01065529988"),
        ("0086-755-23456789", "075523456789"),
        ("010-65529988-123", "01065529988-123"),
        ("010-65529988 转 123", "01065529988-123"),
        ("010-65529988转123", "01065529988-123"),
        ("010-65529988 分机 8", "01065529988-8"),
        ("010-65529988 ext. 42", "01065529988-42"),
        ("010-65529988x42", "01065529988-42"),
        ("010 6552 9988-123", "01065529988-123"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("+86 138-0013-8000", "13800138000"),
        ("13800138000.0", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("010-65529988", "01065529988"),
        ("021-62345678", "02162345678"),
        ("0755-2345678", "07552345678"),  # 4-digit area code, 7-digit number
        ("0755-23456789", "075523456789"),
        ("0571 8765 4321", "057187654321"),
        ("010-65529988-123", "01065529988-123"),
        ("0755 2345678 转 88", "07552345678-88"),
    ],
)
def test_validate_phone_accepts(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345678901",  # mobile must start 13-19
        "11012345678",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "65529988",  # landline without area code
        "010-1234567",  # local number starting with 1
        "010-05529988",  # local number starting with 0
        "0755-123456",  # too short
        "0755-234567890",  # too long
        "13800138000-123",  # mobiles have no extension
        "1.38001380E+10",  # spreadsheet scientific notation: digits lost
        "13800138000.5",
        "abc",
        "+1 650 253 0000",
        "85213800138000",  # wrong country code
    ],
)
def test_validate_phone_rejects(raw):
    with pytest.raises(ValueError) as excinfo:
        validate_phone(raw)
    assert excinfo.value.code == "phone_invalid"
    assert "mobile" in str(excinfo.value)


@pytest.mark.parametrize("raw", ["", "  ", None, "\u3000"])
def test_validate_phone_empty(raw):
    with pytest.raises(InvalidValue) as excinfo:
        validate_phone(raw)
    assert excinfo.value.code == "phone_empty"
    assert str(excinfo.value) == "Enter a phone number."


# ---------------------------------------------------------------------------
# Resident ID: check character
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "first17, expected",
    [
        ("11010519491231002", "X"),  # domain.md 8.1: Y = 2 -> X
        ("44052418800101001", "4"),  # domain.md 8.1: Y = 8 -> 4
        ("00000000000000000", "1"),  # S = 0 -> Y = 0 -> 1
    ],
)
def test_id_check_char(first17, expected):
    assert id_check_char(first17) == expected


def test_id_check_char_covers_every_remainder():
    # Changing the last of the 17 digits (weight 2) walks S through all residues mod 11.
    seen = {id_check_char("1101051949123100" + str(d)) for d in range(10)}
    seen |= {id_check_char("1101051949123101" + str(d)) for d in range(10)}
    assert seen == set("10X98765432")


@pytest.mark.parametrize(
    "bad", ["1101051949123100", "110105194912310021", "1101051949123100X", "", "１１０１０５１９４９１２３１００２", None]
)
def test_id_check_char_rejects_non_17_digits(bad):
    with pytest.raises(ValueError):
        id_check_char(bad)


# ---------------------------------------------------------------------------
# Resident ID: parsing
# ---------------------------------------------------------------------------

def test_parse_resident_id_doc_vector_female_1949():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid == ResidentId(
        number="11010519491231002X",
        birth_date=date(1949, 12, 31),
        sex="F",
        upgraded_from=None,
        province_code="11",
    )


def test_resident_id_is_frozen():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rid.number = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",  # lower-case x
        " 11010519491231002X ",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, upper X
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lower x
        "\u3000１１０１０５１９４９１２３１００２Ｘ\u3000",
        "11010519491231002X\u200b",
    ],
)
def test_parse_resident_id_normalises(raw):
    rid = parse_resident_id(raw, today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.upgraded_from is None


def test_parse_resident_id_upgrades_15_digit_doc_vector():
    rid = parse_resident_id("110105491231002", today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.upgraded_from == "110105491231002"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "F"
    assert rid.province_code == "11"


def test_parse_resident_id_upgrades_full_width_15_digit():
    rid = parse_resident_id("１１０１０５４９１２３１００２", today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.upgraded_from == "110105491231002"


@pytest.mark.parametrize(
    "first17, sex",
    [
        ("11010519800101001", "M"),
        ("11010519800101002", "F"),
        ("11010519800101003", "M"),
        ("11010519800101010", "F"),
        ("11010519800101999", "M"),
    ],
)
def test_parse_resident_id_sex_from_17th_digit(first17, sex):
    rid = parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert rid.sex == sex


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_parse_resident_id_accepts_every_province_code(province):
    first17 = province + "010519800101001"
    rid = parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert rid.province_code == province


def test_province_code_list_is_the_official_one():
    expected = {
        "11", "12", "13", "14", "15", "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65", "71", "81", "82", "83",
    }
    assert PROVINCE_CODES == expected


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "30", "38", "40", "47",
                                      "49", "55", "60", "66", "70", "72", "80", "84", "91", "99"])
def test_parse_resident_id_rejects_bad_province(province):
    first17 = province + "010519800101001"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert excinfo.value.code == "id_province"
    assert "province" in str(excinfo.value)


def test_parse_resident_id_rejects_bad_province_in_15_digit():
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id("990105491231002", today=TODAY)
    assert excinfo.value.code == "id_province"


def test_parse_resident_id_doc_vector_wrong_check_digit():
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id("110105194912310021", today=TODAY)
    assert excinfo.value.code == "id_check_char"
    assert str(excinfo.value) == "The ID number's last character does not match. Check for a typo."


@pytest.mark.parametrize("wrong", [c for c in "0123456789X" if c != "X"])
def test_parse_resident_id_rejects_every_wrong_check_char(wrong):
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id("11010519491231002" + wrong, today=TODAY)
    assert excinfo.value.code == "id_check_char"


def test_parse_resident_id_born_1880_rejected_as_too_old_although_checksum_is_right():
    # domain.md lists 440524188001010014 as a valid checksum vector; our
    # rule rejects births before 1900-01-01.
    assert id_check_char("44052418800101001") == "4"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id("440524188001010014", today=TODAY)
    assert excinfo.value.code == "id_date_too_old"
    assert "1900-01-01" in str(excinfo.value)


def test_parse_resident_id_earliest_is_configurable():
    rid = parse_resident_id("440524188001010014", today=TODAY, earliest=date(1850, 1, 1))
    assert rid.birth_date == date(1880, 1, 1)
    assert rid.sex == "M"
    assert rid.province_code == "44"


def test_parse_resident_id_earliest_boundary():
    assert EARLIEST_BIRTH_DATE == date(1900, 1, 1)
    ok = "11010519000101001"
    assert parse_resident_id(ok + id_check_char(ok), today=TODAY).birth_date == date(1900, 1, 1)
    too_old = "11010518991231001"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(too_old + id_check_char(too_old), today=TODAY)
    assert excinfo.value.code == "id_date_too_old"


@pytest.mark.parametrize(
    "birth",
    [
        "19490230",  # 30 February
        "19491301",  # month 13
        "19490001",  # month 0
        "19490100",  # day 0
        "19490431",  # 31 April
        "19000229",  # 1900 is not a leap year
        "20230229",
        "00000000",
    ],
)
def test_parse_resident_id_rejects_impossible_birth_date(birth):
    first17 = "110105" + birth + "001"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert excinfo.value.code == "id_date_invalid"
    assert "not a real date" in str(excinfo.value)


def test_parse_resident_id_accepts_leap_day():
    first17 = "11010520000229001"
    assert parse_resident_id(first17 + id_check_char(first17), today=TODAY).birth_date == date(2000, 2, 29)


def test_parse_resident_id_rejects_impossible_date_in_15_digit():
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id("110105490230002", today=TODAY)
    assert excinfo.value.code == "id_date_invalid"


@pytest.mark.parametrize("birth", ["20261130", "20270101", "20991231"])
def test_parse_resident_id_rejects_future_birth_date(birth):
    first17 = "110105" + birth + "001"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert excinfo.value.code == "id_date_future"
    assert "future" in str(excinfo.value)


def test_parse_resident_id_born_today_is_accepted():
    first17 = "110105" + TODAY.strftime("%Y%m%d") + "002"
    rid = parse_resident_id(first17 + id_check_char(first17), today=TODAY)
    assert rid.birth_date == TODAY
    assert rid.age_on(TODAY) == 0


def test_parse_resident_id_today_accepts_datetime():
    first17 = "110105" + TODAY.strftime("%Y%m%d") + "002"
    rid = parse_resident_id(first17 + id_check_char(first17), today=datetime(2026, 11, 29, 8, 0))
    assert rid.birth_date == TODAY


def test_parse_resident_id_default_today_is_used():
    # Far-future birth date: rejected with the real clock, no `today` given.
    first17 = "11010520991231001"
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(first17 + id_check_char(first17))
    assert excinfo.value.code == "id_date_future"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "id_empty"),
        ("   ", "id_empty"),
        (None, "id_empty"),
        ("1101051949123100", "id_length"),  # 16
        ("11010519491231002", "id_length"),  # 17
        ("11010519491231002XX", "id_length"),  # 19
        ("110105", "id_length"),
        ("E12345678", "id_length"),
        ("1101051949123100XX", "id_chars"),  # X not last
        ("X10105194912310021", "id_chars"),
        ("11010519491231002Y", "id_chars"),
        ("11010519491231002*", "id_chars"),
        ("110105-94912310021", "id_chars"),
        ("11010549123100X", "id_chars"),  # 15-digit with X
        ("11010549123100A", "id_chars"),
        ("1.10105194912E+17", "id_length"),  # spreadsheet scientific notation
        ("1.101051949123E+17", "id_chars"),  # the same, 18 characters long
    ],
)
def test_parse_resident_id_rejects_format(raw, code):
    with pytest.raises(InvalidValue) as excinfo:
        parse_resident_id(raw, today=TODAY)
    assert excinfo.value.code == code
    assert str(excinfo.value)  # a message, not empty


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("123", "18 characters"),
        ("1101051949123100XX", "digits"),
        ("11010549123100X", "15-digit"),
        ("", "Enter an ID number"),
    ],
)
def test_parse_resident_id_messages_are_specific(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_resident_id(raw, today=TODAY)


def test_invalid_value_is_a_value_error_with_message():
    with pytest.raises(ValueError) as excinfo:
        parse_resident_id("110105194912310021", today=TODAY)
    err = excinfo.value
    assert isinstance(err, InvalidValue)
    assert err.message is err.args[0]
    assert str(err.message) == str(err)


def test_parse_resident_id_accepts_int_from_spreadsheet():
    # openpyxl may hand over an int when the cell held only digits.
    first17 = "11010519800101001"
    check = id_check_char(first17)
    assert check.isdigit()
    rid = parse_resident_id(int(first17 + check), today=TODAY)  # type: ignore[arg-type]
    assert rid.number == first17 + check


# ---------------------------------------------------------------------------
# age_on
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "birth, on, age",
    [
        (date(1949, 12, 31), date(2026, 11, 29), 76),
        (date(1949, 12, 31), date(2026, 12, 30), 76),
        (date(1949, 12, 31), date(2026, 12, 31), 77),  # birthday counts
        (date(2008, 6, 1), date(2026, 5, 31), 17),
        (date(2008, 6, 1), date(2026, 6, 1), 18),  # adult on the 18th birthday
        (date(2000, 2, 29), date(2001, 2, 28), 0),  # leap-day birth, common year
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
        (date(2026, 11, 29), date(2026, 11, 29), 0),
        (datetime(2008, 6, 1, 23, 0), datetime(2026, 6, 1, 0, 0), 18),
    ],
)
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


def test_age_on_rejects_date_before_birth():
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


def test_resident_id_age_on():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid.age_on(TODAY) == 76


# ---------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        ("440524188001010014", "440524********0014"),
        ("１１０１０５１９４９１２３１００２Ｘ", "110105********002X"),
        ("110105491231002", "110105******002"),  # 15-digit: birth digits hidden too
        ("E12345678", "E*******8"),  # passport
        ("H1234567890", "H*********0"),  # HK/Macau permit
        ("AB1", "A*1"),
        ("AB", "**"),
        ("A", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id(raw, expected):
    assert mask_id(raw) == expected


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "110105491231002", "11010520000229001" + "5"],
)
def test_mask_id_never_shows_birth_digits(number):
    masked = mask_id(number)
    birth_span = (6, 14) if len(number) == 18 else (6, 12)
    assert set(masked[birth_span[0]:birth_span[1]]) == {"*"}
    assert len(masked) == len(number)


@pytest.mark.parametrize(
    "head, tail, expected",
    [
        (1, 2, "1***************2X"),  # alternative "first 1 + last 2" style
        (3, 4, "110***********002X"),
        (10, 8, "110105********002X"),  # capped: birth digits stay hidden
        (0, 0, "******************"),
    ],
)
def test_mask_id_configurable(head, tail, expected):
    assert mask_id("11010519491231002X", head=head, tail=tail) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("13812345678.0", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("010-65529988", "010-******88"),
        ("02162345678", "021-******78"),
        ("0755-2345678", "0755-*****78"),
        ("0755-23456789", "0755-******89"),
        ("010-65529988 转 123", "010-******88"),  # extension not shown
        ("12345", "1***5"),  # unrecognised
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw, expected):
    assert mask_phone(raw) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("张三", "张某"),
        ("李小龙", "李某"),
        ("  王五 ", "王某"),
        ("张某", "张某"),
        ("张某某", "张某"),
        ("欧阳娜娜", "欧阳某"),
        ("欧阳修", "欧阳某"),
        ("司马光", "司马某"),
        ("诸葛亮", "诸葛某"),
        ("上官婉儿", "上官某"),
        ("司徒雷登", "司徒某"),
        ("东方明", "东方某"),
        ("皇甫嵩", "皇甫某"),
        ("尉迟恭", "尉迟某"),
        ("公孙策", "公孙某"),
        ("慕容复", "慕容某"),
        ("长孙无忌", "长孙某"),
        ("宇文化及", "宇文某"),
        ("夏侯惇", "夏侯某"),
        ("令狐冲", "令狐某"),
        ("东方", "东某"),  # two characters: single surname + given name
        (EXT_B + "明", EXT_B + "某"),  # Ext-B surname kept whole
        (EXT_B + EXT_B + "明", EXT_B + "某"),
        ("王" + EXT_B, "王某"),
        ("买买提·吐尔逊", "买某"),
        ("王建社", "王某"),  # 社 in a person's name: still masked
        ("张园", "张某"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name_for_report_people(name, expected):
    assert mask_name_for_report(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "某某建筑工程有限公司",
        "张家村股份经济合作社",
        "李家村村民委员会",
        "城关镇人民调解委员会",
        "红星机械厂",
        "红星厂第一车间",
        "张记饭店",
        "城关镇人民政府",
        "县人民医院",
        "城关镇中心小学",
        "农村信用社",
        "王某某个体户",
        "东方红养殖场",
        "欧阳律师事务所",
    ],
)
def test_mask_name_for_report_keeps_organisations(name):
    assert mask_name_for_report(name) == name


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 3, 1), "2026年3月1日"),
        (date(2026, 10, 3), "2026年10月3日"),
        (date(2025, 7, 1), "2025年7月1日"),
        (date(2026, 12, 31), "2026年12月31日"),
        (datetime(2026, 3, 1, 23, 59), "2026年3月1日"),
    ],
)
def test_format_cn_date(d, expected):
    assert format_cn_date(d) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 10, 3), "二〇二六年十月三日"),
        (date(2025, 7, 1), "二〇二五年七月一日"),
        (date(2026, 11, 20), "二〇二六年十一月二十日"),
        (date(2000, 12, 31), "二〇〇〇年十二月三十一日"),
    ],
)
def test_format_cn_date_chinese_numerals(d, expected):
    assert format_cn_date(d, chinese_numerals=True) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026年10月3日", date(2026, 10, 3)),
        ("2026年3月1日", date(2026, 3, 1)),
        ("2026年03月01日", date(2026, 3, 1)),
        ("2026年10月3号", date(2026, 10, 3)),
        ("2026年10月3", date(2026, 10, 3)),
        (" 2026 年 10 月 3 日 ", date(2026, 10, 3)),
        ("２０２６年１０月３日", date(2026, 10, 3)),
        ("2026.10.3", date(2026, 10, 3)),
        ("2026.10.03", date(2026, 10, 3)),
        ("２０２６．１０．３", date(2026, 10, 3)),
        ("2026-10-03", date(2026, 10, 3)),
        ("2026-1-3", date(2026, 1, 3)),
        ("2026/10/3", date(2026, 10, 3)),
        ("２０２６／１０／３", date(2026, 10, 3)),
        ("20261003", date(2026, 10, 3)),
        ("二〇二六年十月三日", date(2026, 10, 3)),
        ("二零二六年十月三日", date(2026, 10, 3)),
        ("二○二六年十月三日", date(2026, 10, 3)),  # U+25CB WHITE CIRCLE
        ("二Ｏ二六年十月三日", date(2026, 10, 3)),  # full-width letter O
        ("二〇二六年十月三号", date(2026, 10, 3)),
        ("二〇二六年一月十日", date(2026, 1, 10)),
        ("二〇二六年十一月十一日", date(2026, 11, 11)),
        ("二〇二六年十二月二十日", date(2026, 12, 20)),
        ("二〇二六年十二月二十九日", date(2026, 12, 29)),
        ("二〇二六年十二月三十日", date(2026, 12, 30)),
        ("二〇二六年十二月三十一日", date(2026, 12, 31)),
        ("二〇二六年十二月廿一日", date(2026, 12, 21)),
        ("二〇二六年十二月卅一日", date(2026, 12, 31)),
        ("一九四九年十月一日", date(1949, 10, 1)),
        ("二〇〇〇年二月二十九日", date(2000, 2, 29)),
    ],
)
def test_parse_cn_date(raw, expected):
    assert parse_cn_date(raw) == expected


@pytest.mark.parametrize(
    "d",
    [date(2026, 1, 1), date(2026, 2, 28), date(2024, 2, 29), date(2026, 10, 3),
     date(2026, 11, 19), date(2026, 12, 31), date(1999, 9, 9)],
)
def test_parse_cn_date_round_trips(d):
    assert parse_cn_date(format_cn_date(d)) == d
    assert parse_cn_date(format_cn_date(d, chinese_numerals=True)) == d
    assert parse_cn_date(d.isoformat()) == d


@pytest.mark.parametrize(
    "raw",
    [
        "2026年2月30日",
        "2026-02-29",  # 2026 is not a leap year
        "2026/13/1",
        "2026.0.10",
        "20261301",
        "20260100",
        "二〇二六年二月三十日",
        "二〇二六年十三月一日",
    ],
)
def test_parse_cn_date_rejects_impossible_dates(raw):
    with pytest.raises(InvalidValue) as excinfo:
        parse_cn_date(raw)
    assert excinfo.value.code == "date_invalid"
    assert str(excinfo.value) == "This date does not exist."


@pytest.mark.parametrize(
    "raw",
    [
        "2026-10/3",  # mixed separators
        "26-10-3",  # 2-digit year
        "3/10/2026",  # day first
        "2026103",  # 7 digits
        "202610031",
        "2026年10月",
        "10月3日",
        "2026-10-03T10:00",
        "二〇二六年十月",
        "二六年十月三日",
        "二〇二六年十月三十二十日",
        "二〇二六年二三月一日",
        "二〇二六年十〇月一日",
        "yesterday",
        "2026..10.3",
    ],
)
def test_parse_cn_date_rejects_unknown_formats(raw):
    with pytest.raises(InvalidValue) as excinfo:
        parse_cn_date(raw)
    assert excinfo.value.code == "date_format"
    assert "2026年3月1日" in str(excinfo.value)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_parse_cn_date_empty(raw):
    with pytest.raises(ValueError) as excinfo:
        parse_cn_date(raw)
    assert excinfo.value.code == "date_empty"


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1200", "1200.00"),
        ("1200.5", "1200.50"),
        ("1200.50", "1200.50"),
        ("1,200.50", "1200.50"),
        ("1,234,567.89", "1234567.89"),
        ("1200元", "1200.00"),
        ("1200.5元", "1200.50"),
        ("1200元整", "1200.00"),
        ("人民币1200元整", "1200.00"),
        ("¥1,200", "1200.00"),
        ("￥1200", "1200.00"),
        ("RMB 1200", "1200.00"),
        ("１２００", "1200.00"),
        ("１，２００．５０", "1200.50"),
        ("１２００元", "1200.00"),
        ("1.2万", "12000.00"),
        ("1.2万元", "12000.00"),
        ("１．２万", "12000.00"),
        ("3万", "30000.00"),
        ("0.0001万", "1.00"),
        ("1.23456万", "12345.60"),
        ("12,000万", "120000000.00"),
        ("0", "0.00"),
        ("0.00", "0.00"),
        (".5", "0.50"),
        ("100.", "100.00"),
        ("+100", "100.00"),
        ("¥+100", "100.00"),
        ("-0", "0.00"),
        (" 1200 ", "1200.00"),
        ("999999999999.99", "999999999999.99"),
        (1200, "1200.00"),
        (Decimal("1200.5"), "1200.50"),
        (1200.5, "1200.50"),
    ],
)
def test_parse_amount(raw, expected):
    result = parse_amount(raw)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected  # always two decimals


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "amount_empty"),
        ("  ", "amount_empty"),
        (None, "amount_empty"),
        ("-5", "amount_negative"),
        ("-1,200.00", "amount_negative"),
        ("−5", "amount_negative"),  # U+2212 MINUS SIGN
        ("¥-5", "amount_negative"),
        ("-¥5", "amount_negative"),
        ("－５", "amount_negative"),  # full-width hyphen-minus
        ("-0.5万", "amount_negative"),
        ("1.234", "amount_decimals"),
        ("0.001", "amount_decimals"),
        ("1.2345678万", "amount_decimals"),
        ("1000000000000", "amount_too_large"),
        ("1" * 40, "amount_too_large"),
        ("100000000万", "amount_too_large"),
        ("abc", "amount_format"),
        ("1,20", "amount_format"),  # bad grouping
        ("12,00.00", "amount_format"),
        ("1.200,50", "amount_format"),  # European style
        ("1e3", "amount_format"),
        ("NaN", "amount_format"),
        ("Infinity", "amount_format"),
        ("1.2.3", "amount_format"),
        ("万", "amount_format"),
        ("元", "amount_format"),
        (".", "amount_format"),
        ("1200美元", "amount_format"),
        ("壹仟贰佰元整", "amount_format"),
        ("--5", "amount_format"),
        ("+-5", "amount_format"),
        ("¥¥5", "amount_format"),
        ("-¥-5", "amount_format"),
        (True, "amount_empty"),
    ],
)
def test_parse_amount_rejects(raw, code):
    with pytest.raises(ValueError) as excinfo:
        parse_amount(raw)
    assert excinfo.value.code == code
    assert str(excinfo.value)


def test_parse_amount_messages():
    with pytest.raises(ValueError, match="negative"):
        parse_amount("-1")
    with pytest.raises(ValueError, match="two decimal places"):
        parse_amount("1.001")
    with pytest.raises(ValueError, match="1.2万"):
        parse_amount("abc")


# ---------------------------------------------------------------------------
# Messages are lazy and translatable
# ---------------------------------------------------------------------------

def test_messages_are_lazy_strings():
    with pytest.raises(InvalidValue) as excinfo:
        parse_amount("abc")
    message = excinfo.value.message
    assert not isinstance(message, str)  # a LazyString, resolved at render time
    assert str(message) == "Enter an amount in yuan, such as 1200.50 or 1.2万."
