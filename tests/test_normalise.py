"""Tests for campaign_report.normalise: every input form users type, and the failures."""

from __future__ import annotations

import datetime
import math
import subprocess
import sys

import pytest

from campaign_report.normalise import (
    BLANK,
    DateSpan,
    Parsed,
    clean_long_text,
    clean_name,
    clean_text,
    is_blank,
    name_key,
    parse_bool,
    parse_choice,
    parse_date,
    parse_integer,
    parse_persons,
    parse_span,
)

D = datetime.date
Y = 2008
NO_YEAR = "未写年份，按2008年"
SERIAL = "Excel日期序号"
APPROX = "约数"

BLANKS = [None, "", " ", "\u3000", "\xa0", "\t\n", " \u3000\xa0 ", "\u200b", float("nan")]


# --- blanks ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", BLANKS)
def test_is_blank_true(raw: object) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", [0, 0.0, False, "0", "-", "无", " a ", D(2008, 3, 10)])
def test_is_blank_false(raw: object) -> None:
    assert not is_blank(raw)


PARSERS = [
    parse_integer,
    lambda raw: parse_date(raw, Y),
    lambda raw: parse_span(raw, Y),
    parse_bool,
    parse_persons,
    lambda raw: parse_choice(raw, ["是", "否"]),
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("raw", BLANKS)
def test_blank_gives_blank(parse, raw: object) -> None:
    assert parse(raw) == BLANK
    assert BLANK.value is None and BLANK.ok


ODD_OBJECTS = [
    None,
    0,
    -1,
    1e20,
    -1e20,
    float("nan"),
    float("inf"),
    "",
    "\u3000",
    object(),
    b"bytes",
    [],
    {},
    (1, 2),
    D.min,
    datetime.datetime.max,
    "\x00",
    "9" * 400,
    "一" * 200,
    "-" * 50,
    "至至至",
    "_x000D_",
    True,
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("raw", ODD_OBJECTS, ids=repr)
def test_never_raises(parse, raw: object) -> None:
    result = parse(raw)
    assert isinstance(result, Parsed)
    if not result.ok:
        assert result.value is None


@pytest.mark.parametrize("clean", [clean_text, clean_long_text, name_key, clean_name, is_blank])
@pytest.mark.parametrize("raw", ODD_OBJECTS, ids=repr)
def test_cleaners_never_raise(clean, raw: object) -> None:
    clean(raw)


# --- text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  会议  ", "会议"),
        ("\u3000会议\u3000", "会议"),
        ("宣传  活动", "宣传 活动"),
        ("宣传\u3000\u3000活动", "宣传 活动"),
        ("宣传\xa0活动", "宣传 活动"),
        ("宣传\t活动\n现场", "宣传 活动 现场"),
        ("ＡＢＣ１２，", "ＡＢＣ１２，"),  # full-width kept for display text
        (12, "12"),
        (12.0, "12"),
        (12.5, "12.5"),
        (None, ""),
        (float("nan"), ""),
        (D(2008, 3, 10), "2008-03-10"),
        (datetime.datetime(2008, 3, 10), "2008-03-10"),
        ("a_x000D_b", "ab"),
        ("\u200b名称", "名称"),
    ],
)
def test_clean_text(raw: object, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  第一段  \n  第二段  ", "第一段\n第二段"),
        ("第一段\r\n第二段", "第一段\n第二段"),
        ("第一段\r第二段", "第一段\n第二段"),
        ("\n\n第一段\n\n\n\n第二段\n\n", "第一段\n\n第二段"),
        ("\u3000\u3000宣传  活动\u3000", "宣传 活动"),
        ("a\tb  \nc", "a b\nc"),
        (None, ""),
    ],
)
def test_clean_long_text(raw: object, expected: str) -> None:
    assert clean_long_text(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("浙江 松阳茶业有限公司 ", "浙江松阳茶业有限公司"),
        ("\u3000浙江松阳茶业有限公司", "浙江松阳茶业有限公司"),
        ("浙江  松阳\xa0茶业有限公司", "浙江松阳茶业有限公司"),
        ("松阳县ＡＢＣ公司", "松阳县abc公司"),
        ("松阳县abc公司", "松阳县ABC公司"),
        ("第１中学", "第1中学"),
        ("松阳茶业（集团）", "松阳茶业(集团)"),
    ],
)
def test_name_key_same(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_key_value() -> None:
    assert name_key(" 浙江 松阳ＡＢＣ公司\u3000") == "浙江松阳abc公司"
    assert name_key("张三") != name_key("张四")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 张三 ", "张三"),
        ("张 三", "张三"),
        ("张\u3000三", "张三"),
        ("浙江 松阳茶业有限公司 ", "浙江松阳茶业有限公司"),
        ("ＡＢＣ公司", "ABC公司"),
        ("John  Smith", "John Smith"),
        ("Ｊｏｈｎ\u3000Ｓｍｉｔｈ", "John Smith"),
        ("张三 Smith", "张三Smith"),
        (None, ""),
    ],
)
def test_clean_name(raw: object, expected: str) -> None:
    assert clean_name(raw) == expected


# --- integers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, 12),
        (12.0, 12),
        (0, 0),
        ("12", 12),
        (" 12 ", 12),
        ("\u300012\u3000", 12),
        ("１２", 12),
        ("12.0", 12),
        ("300份", 300),
        ("12人", 12),
        ("31名", 31),
        ("120家", 120),
        ("1,500", 1500),
        ("1，500", 1500),
        ("1,500,000", 1500000),
        ("1500字", 1500),
        ("45人次", 45),
        ("12 人", 12),
        ("十二", 12),
        ("三百", 300),
        ("一千五百", 1500),
        ("两百", 200),
        ("三百份", 300),
        ("-3", -3),
        ("－３", -3),
        (-3, -3),
    ],
)
def test_parse_integer(raw: object, expected: int) -> None:
    result = parse_integer(raw)
    assert result == Parsed(expected)
    assert type(result.value) is int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("120余", 120),
        ("120余家", 120),
        ("120多", 120),
        ("120多人", 120),
        ("约120", 120),
        ("大约120人", 120),
        ("120人左右", 120),
        ("一百二十余", 120),
        ("一百多", 100),
        ("100+", 100),
        ("１００＋", 100),
    ],
)
def test_parse_integer_approx(raw: str, expected: int) -> None:
    assert parse_integer(raw) == Parsed(expected, note=APPROX, approx=True)


@pytest.mark.parametrize(
    "raw",
    [
        12.5,
        "12.5",
        "abc",
        "十二点五",
        "-",
        "若干",
        True,
        False,
        "12万人",
        "1,50",
        "12个半",
        D(2008, 3, 10),
        "3月",
        "++",
        "约",
    ],
)
def test_parse_integer_fails(raw: object) -> None:
    assert parse_integer(raw) == Parsed(None, ok=False)


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "note"),
    [
        (D(2008, 3, 10), D(2008, 3, 10), ""),
        (datetime.datetime(2008, 3, 10, 14, 30), D(2008, 3, 10), ""),
        (39517, D(2008, 3, 10), SERIAL),
        (39517.0, D(2008, 3, 10), SERIAL),
        (39517.75, D(2008, 3, 10), SERIAL),
        ("39517", D(2008, 3, 10), SERIAL),
        ("39517.0", D(2008, 3, 10), SERIAL),
        ("3/10", D(2008, 3, 10), NO_YEAR),
        ("3-10", D(2008, 3, 10), NO_YEAR),
        ("3.10", D(2008, 3, 10), NO_YEAR),
        ("03/10", D(2008, 3, 10), NO_YEAR),
        ("3月10日", D(2008, 3, 10), NO_YEAR),
        ("3月10号", D(2008, 3, 10), NO_YEAR),
        ("3月10", D(2008, 3, 10), NO_YEAR),
        ("３月１０日", D(2008, 3, 10), NO_YEAR),
        (" 3 月 10 日 ", D(2008, 3, 10), NO_YEAR),
        ("2008-3-10", D(2008, 3, 10), ""),
        ("2008-03-10", D(2008, 3, 10), ""),
        ("2008/3/10", D(2008, 3, 10), ""),
        ("2008.3.10", D(2008, 3, 10), ""),
        ("2008年3月10日", D(2008, 3, 10), ""),
        ("２００８年３月１０日", D(2008, 3, 10), ""),
        ("08年3月10日", D(2008, 3, 10), "两位年份，按2008年"),
        ("2008-03-10 00:00:00", D(2008, 3, 10), ""),
        ("2008-03-10T09:30", D(2008, 3, 10), ""),
        ("20080310", D(2008, 3, 10), ""),
        ("三月十日", D(2008, 3, 10), NO_YEAR),
        ("三月二十八日", D(2008, 3, 28), NO_YEAR),
        ("二〇〇八年三月十日", D(2008, 3, 10), ""),
        ("二零零八年三月十日", D(2008, 3, 10), ""),
        ("〇八年三月十日", D(2008, 3, 10), "两位年份，按2008年"),
        ("2009-02-28", D(2009, 2, 28), ""),
        ("2008-02-29", D(2008, 2, 29), ""),
    ],
)
def test_parse_date(raw: object, expected: datetime.date, note: str) -> None:
    assert parse_date(raw, Y) == Parsed(expected, note=note)


def test_parse_date_uses_default_year() -> None:
    assert parse_date("3/10", 2009) == Parsed(D(2009, 3, 10), note="未写年份，按2009年")


@pytest.mark.parametrize(
    "raw",
    [
        "2008-13-45",
        "3月32日",
        "2月30日",
        "2009-02-29",
        "明天",
        "3/10/xx",
        "3/10/2008",  # day/month/year orders are not supported
        "13/10",
        "0/10",
        "3月",
        "2008年3月",
        "abc",
        "3.1.",
        3.1,  # Excel turned "3.10" into a float: cannot tell it from March 1st
        3,
        19999,
        80001,
        True,
        "三月初五",
    ],
)
def test_parse_date_fails(raw: object) -> None:
    assert parse_date(raw, Y) == Parsed(None, ok=False)


# --- spans -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "start", "end", "note"),
    [
        ("3月10日", D(2008, 3, 10), D(2008, 3, 10), NO_YEAR),
        ("2008-03-10", D(2008, 3, 10), D(2008, 3, 10), ""),
        (D(2008, 3, 10), D(2008, 3, 10), D(2008, 3, 10), ""),
        (datetime.datetime(2008, 3, 10), D(2008, 3, 10), D(2008, 3, 10), ""),
        (39517, D(2008, 3, 10), D(2008, 3, 10), SERIAL),
        ("3/10", D(2008, 3, 10), D(2008, 3, 10), NO_YEAR),
        ("三月十日", D(2008, 3, 10), D(2008, 3, 10), NO_YEAR),
        ("3月26-28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26—28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26——28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26－28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26–28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26~28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26～28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26〜28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日至28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日到28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日-28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日至3月28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日 至 3月28日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3月26日-4月2日", D(2008, 3, 26), D(2008, 4, 2), NO_YEAR),
        ("2008-03-26至2008-03-28", D(2008, 3, 26), D(2008, 3, 28), ""),
        ("2008-03-26~2008-03-28", D(2008, 3, 26), D(2008, 3, 28), ""),
        ("2008-03-26-2008-03-28", D(2008, 3, 26), D(2008, 3, 28), ""),
        ("2008-03-26至28日", D(2008, 3, 26), D(2008, 3, 28), ""),
        ("2008年3月26日至4月2日", D(2008, 3, 26), D(2008, 4, 2), ""),
        ("3/26-3/28", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("3/26-28", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("三月二十六日至二十八日", D(2008, 3, 26), D(2008, 3, 28), NO_YEAR),
        ("2008年12月30日至1月2日", D(2008, 12, 30), D(2009, 1, 2), "跨年，结束日期按次年"),
    ],
)
def test_parse_span(raw: object, start: datetime.date, end: datetime.date, note: str) -> None:
    assert parse_span(raw, Y) == Parsed(DateSpan(start, end), note=note)


def test_parse_span_reversed() -> None:
    result = parse_span("3月28-26日", Y)
    assert result.ok
    assert result.value == DateSpan(D(2008, 3, 28), D(2008, 3, 26))
    assert result.value.reversed
    assert not result.value.is_single_day


@pytest.mark.parametrize(
    ("span", "single", "rev"),
    [
        (DateSpan(D(2008, 3, 10), D(2008, 3, 10)), True, False),
        (DateSpan(D(2008, 3, 10), D(2008, 3, 12)), False, False),
        (DateSpan(D(2008, 3, 12), D(2008, 3, 10)), False, True),
    ],
)
def test_date_span_properties(span: DateSpan, single: bool, rev: bool) -> None:
    assert span.is_single_day is single
    assert span.reversed is rev


@pytest.mark.parametrize(
    "raw",
    [
        "3月26-日",
        "至3月28日",
        "3月26日至",
        "3月26日至28日至30日",
        "3月26-32日",
        "3月26日至明天",
        "明天至后天",
        "2008-13-45",
        3.1,
        True,
    ],
)
def test_parse_span_fails(raw: object) -> None:
    assert parse_span(raw, Y) == Parsed(None, ok=False)


# --- booleans ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        (0.0, False),
        ("1", True),
        ("0", False),
        ("是", True),
        ("否", False),
        (" 是\u3000", True),
        ("Y", True),
        ("N", False),
        ("y", True),
        ("n", False),
        ("Ｙ", True),
        ("yes", True),
        ("YES", True),
        ("no", False),
        ("TRUE", True),
        ("false", False),
        ("√", True),
        ("×", False),
        ("✓", True),
        ("✗", False),
        ("已", True),
        ("未", False),
    ],
)
def test_parse_bool(raw: object, expected: bool) -> None:
    assert parse_bool(raw) == Parsed(expected)


@pytest.mark.parametrize(
    "raw", ["对", "错", "有", "已上报", "maybe", 2, -1, 0.5, "是否", D(2008, 3, 10)]
)
def test_parse_bool_fails(raw: object) -> None:
    assert parse_bool(raw) == Parsed(None, ok=False)


# --- persons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", ("张三",)),
        ("张三、李四", ("张三", "李四")),
        ("张三，李四", ("张三", "李四")),
        ("张三,李四", ("张三", "李四")),
        ("张三；李四", ("张三", "李四")),
        ("张三;李四", ("张三", "李四")),
        ("张三 李四", ("张三", "李四")),
        ("张三\u3000李四", ("张三", "李四")),
        ("张三/李四", ("张三", "李四")),
        ("张三／李四", ("张三", "李四")),
        ("张三\n李四", ("张三", "李四")),
        (" 张 三 ", ("张三",)),
        ("张\u3000三", ("张三",)),
        ("欧阳 修", ("欧阳修",)),
        ("张三 李四 王小五", ("张三", "李四", "王小五")),
        ("张三、 李 四 ，王五", ("张三", "李四", "王五")),
        ("张三、、李四、", ("张三", "李四")),
        ("John Smith、张三", ("John Smith", "张三")),
    ],
)
def test_parse_persons(raw: str, expected: tuple[str, ...]) -> None:
    assert parse_persons(raw) == Parsed(expected)


def test_parse_persons_drops_duplicates() -> None:
    assert parse_persons("张三、李四、张 三") == Parsed(("张三", "李四"), note="去掉了重复的姓名")


@pytest.mark.parametrize("raw", ["、、", ",;/", 12, True, D(2008, 3, 10)])
def test_parse_persons_fails(raw: object) -> None:
    assert parse_persons(raw) == Parsed(None, ok=False)


# --- choices -----------------------------------------------------------------------------

CHOICES = ["宣传活动", "培训班", "ABC检查", "1"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("宣传活动", "宣传活动"),
        (" 宣传活动\u3000", "宣传活动"),
        ("宣传 活动", "宣传活动"),
        ("宣传\u3000活动", "宣传活动"),
        ("ABC检查", "ABC检查"),
        ("ＡＢＣ检查", "ABC检查"),
        ("abc检查", "ABC检查"),
        ("培训班", "培训班"),
        (1, "1"),
        (1.0, "1"),
        ("１", "1"),
    ],
)
def test_parse_choice(raw: object, expected: str) -> None:
    assert parse_choice(raw, CHOICES) == Parsed(expected)


@pytest.mark.parametrize("raw", ["宣传", "培训", "其他", 2, True])
def test_parse_choice_fails(raw: object) -> None:
    assert parse_choice(raw, CHOICES) == Parsed(None, ok=False)


def test_parse_choice_empty_choices() -> None:
    assert parse_choice("宣传活动", []) == Parsed(None, ok=False)


def test_nan_is_blank_everywhere() -> None:
    assert math.isnan(float("nan"))
    assert parse_integer(float("nan")) == BLANK
    assert clean_text(float("nan")) == ""


def test_no_heavy_imports() -> None:
    code = (
        "import sys, campaign_report.normalise; "
        "print(','.join(m for m in ('openpyxl', 'xlwings', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三、李四等", ("张三", "李四")),
        ("张三、李四等人", ("张三", "李四")),
        ("李成等", ("李成等",)),  # one name: a bare 等 is kept unless it ends a list
        ("李四等同志", ("李四",)),
    ],
)
def test_persons_trailing_deng_is_not_part_of_a_name(raw: str, expected: tuple[str, ...]) -> None:
    assert parse_persons(raw).value == expected
