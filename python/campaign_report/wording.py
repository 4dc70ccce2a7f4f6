"""How official documents write numbers and dates: 六个、120余家、3月26-28日、二〇〇八年四月七日."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from . import normalise as nm
from .normalise import DateSpan

_DIGITS = "〇一二三四五六七八九"
_COUNT_DIGITS = "零一二三四五六七八九"
_PLACES = ("", "十", "百", "千")
_WORDED_BELOW = 10**8  # counts up to here are worded here; larger ones by cn2an


def cn(number: Any) -> str:
    """Return a count in Chinese numerals (6 -> 六, 10 -> 十); other values unchanged."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        return str(number)
    if number < _WORDED_BELOW:
        return _count_words(number)
    import cn2an  # importing it compiles its patterns (~0.15 s), so only for the rare 亿

    return cn2an.an2cn(number)


def _count_words(number: int) -> str:
    """0 <= number < 10**8 as cn2an words it (tests compare every count up to 20 000 and a
    sample above): 10 -> 十, 110 -> 一百一十, 10010 -> 一万零一十, 100000 -> 十万."""
    if number == 0:
        return "零"
    upper, lower = divmod(number, 10000)
    words = _group_words(upper) + "万" if upper else ""
    if lower:
        words += ("零" if upper and lower < 1000 else "") + _group_words(lower)
    return "十" + words[2:] if words.startswith("一十") else words


def _group_words(group: int) -> str:
    """Four digits (1..9999); a run of zeros inside reads as one 零: 1010 -> 一千零一十."""
    words, zero = "", False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(words)
            continue
        words += ("零" if zero else "") + _COUNT_DIGITS[digit] + _PLACES[place]
        zero = False
    return words


def approx(number: Any, step: int = 10, threshold: int = 100) -> str:
    """Return a count above ``threshold`` as its round figure plus 余 (123 -> 120余)."""
    if isinstance(number, bool) or not isinstance(number, int) or number <= threshold:
        return str(number)
    round_figure = number // step * step
    return str(number) if round_figure == number else f"{round_figure}余"


def month_day(value: dt.date | None) -> str:
    """3月10日."""
    return f"{value.month}月{value.day}日" if value else ""


def span(value: DateSpan | dt.date | None) -> str:
    """3月14日; 3月26-28日 within a month; 3月30日至4月2日 across months."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return month_day(value)
    if value.is_single_day:
        return month_day(value.start)
    if (value.start.year, value.start.month) == (value.end.year, value.end.month):
        return f"{value.start.month}月{value.start.day}-{value.end.day}日"
    return f"{month_day(value.start)}至{month_day(value.end)}"


def xun(first: dt.date | None, last: dt.date | None) -> str:
    """3月下旬 when all dates fall in one third of a month, else the span."""
    if not (first and last):
        return ""
    if (first.year, first.month) == (last.year, last.month):
        thirds = {min((d.day - 1) // 10, 2) for d in (first, last)}
        if len(thirds) == 1:
            return f"{first.month}月{'上中下'[thirds.pop()]}旬"
    return span(DateSpan(first, last))


def date_line(value: dt.date | None, style: str = "阿拉伯数字") -> str:
    """2008年4月7日 (GB/T 9704-2012), or 二〇〇八年四月七日 when ``style`` is 汉字."""
    if not value:
        return ""
    if style != "汉字":
        return f"{value.year}年{value.month}月{value.day}日"
    year = "".join(_DIGITS[int(d)] for d in str(value.year))
    return f"{year}年{cn(value.month)}月{cn(value.day)}日"


def join(items: Iterable[Any], sep: str = "、") -> str:
    return sep.join(str(i) for i in items if i not in (None, ""))


def pair_methods(methods: Iterable[str]) -> str:
    """定期检查 + 不定期检查 -> 定期不定期检查; 明查 + 暗访 -> 明查暗访, as documents write it."""
    methods = list(methods)
    words = []
    if "定期检查" in methods and "不定期检查" in methods:
        words.append("定期不定期检查")
        methods = [m for m in methods if m not in ("定期检查", "不定期检查")]
    if "明查" in methods and "暗访" in methods:
        words.append("明查暗访")
        methods = [m for m in methods if m not in ("明查", "暗访")]
    return "、".join(words + methods)


def duration(months: int | None, days: int | None) -> str:
    """一个月 / 两个月 / 20天."""
    if months:
        return "两个月" if months == 2 else f"{cn(months)}个月"
    return f"{days}天" if days else ""


def period(start: dt.date | None, end: dt.date | None) -> str:
    """How long a campaign ran, as documents say it: 一个月 / 近三个月 / 三个多月 / 20天.

    Whole calendar months are counted exactly (3月1日至3月31日 is 一个月); otherwise a
    span under 45 days is given in days and a longer one in months, roughly.
    """
    if not (start and end) or end < start:
        return ""
    days = (end - start).days + 1
    if (whole := nm.whole_months(start, end)) is not None:
        return _months(whole)
    if days < 45:
        return f"{days}天"
    months, rest = divmod(days / 30.44, 1)
    if rest >= 0.7:
        return "近" + _months(int(months) + 1)
    if rest <= 0.15:
        return _months(int(months))
    return _months(int(months)).replace("个月", "个多月")


def _months(count: int) -> str:
    return "两个月" if count == 2 else f"{cn(count)}个月"


_END_PUNCTUATION = "。；，、,;.！!：: \u3000"


def trim(text: Any) -> str:
    """A cell's text without the punctuation it may or may not end with; blank gives ''."""
    if text is None or isinstance(text, float):
        return ""
    return str(text).strip().rstrip(_END_PUNCTUATION)


def blank(value: Any) -> bool:
    """True for None, NaN, '' and empty lists: a clause built on it is left out."""
    if value is None or value == "" or value == () or value == []:
        return True
    return isinstance(value, float) and value != value


def clause(pattern: str, *values: Any) -> str:
    """``pattern`` with ``{}`` filled in, or '' when any value is blank (the clause drops out)."""
    if any(blank(v) for v in values):
        return ""
    return pattern.format(*(trim(v) if isinstance(v, str) else v for v in values))


def sentence(*parts: Any, end: str = "。") -> str:
    """Non-blank parts joined by ，and closed by ``end``; no part at all gives ''."""
    kept = [trim(p) for p in parts if not blank(p)]
    kept = [p for p in kept if p]
    return "，".join(kept) + end if kept else ""


def quoted(items: Iterable[Any]) -> str:
    """“甲”“乙”“丙”: titles quoted, blanks left out."""
    return "".join(f"“{trim(i)}”" for i in items if trim(i))


def tidy(text: str) -> str:
    """Repair what joined clauses may leave: doubled or clashing punctuation, empty quotes."""
    text = re.sub(r"“\s*”|「\s*」|（\s*）", "", text)
    text = re.sub(r"[，、；]+(?=[。；！？])", "", text)
    text = re.sub(r"。{2,}", "。", text)
    text = re.sub(r"，{2,}", "，", text)
    text = re.sub(r"([，。；])\s*[，；]", r"\1", text)
    return text


COLUMN_WORDS = ("专栏", "栏目", "专版", "专题", "网页", "橱窗")


def is_column_title(title: Any) -> bool:
    """A title that names a column or page (…专栏), so "在{地点}开设“{名称}”" reads right."""
    return trim(title).endswith(COLUMN_WORDS)
