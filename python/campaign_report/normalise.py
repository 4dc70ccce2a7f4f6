"""Normalise the messy values users type into the campaign workbook.

Every cell is read once, here, at the edge; the rest of the code only sees clean values.
The ``parse_*`` functions never raise: they return a :class:`Parsed` whose ``ok`` is False
when the input cannot be read, and :data:`BLANK` when the cell is empty. Whether a value is
required, in range or consistent with other cells is checked elsewhere.

Inputs are whatever a workbook reader returns: None, str, int, float, bool, datetime.date or
datetime.datetime.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec


@dataclass(frozen=True)
class DateSpan:
    """An inclusive range of days; a single date gives ``start == end``."""

    start: datetime.date
    end: datetime.date

    @property
    def is_single_day(self) -> bool:
        """True when the span covers one day."""
        return self.start == self.end

    @property
    def reversed(self) -> bool:
        """True when the end lies before the start (reported by validation)."""
        return self.end < self.start


@dataclass(frozen=True)
class Parsed:
    """The result of reading one cell."""

    value: Any  # normalised value; None when blank or unreadable
    ok: bool = True  # False: the input could not be read (value is None then)
    note: str = ""  # Chinese, what was guessed; "" when nothing was guessed
    approx: bool = False  # True for 120余 / 120多 / 约120 / 一百多


BLANK = Parsed(None)
_FAIL = Parsed(None, ok=False)

NOTE_APPROX = "约数"
NOTE_SERIAL = "Excel日期序号"
NOTE_DUPLICATE_NAMES = "去掉了重复的姓名"
NOTE_NEXT_YEAR = "跨年，结束日期按次年"


def _note_default_year(year: int) -> str:
    return f"未写年份，按{year}年"


NOTE_DOUBTFUL_YEAR = "未写年份，可能是"


def _note_doubtful_year(years: list[int], chosen: int) -> str:
    return f"{NOTE_DOUBTFUL_YEAR}{'或'.join(map(str, years))}年，已按{chosen}年"


@dataclass(frozen=True)
class Period:
    """The campaign period: a date typed without a year takes the year that puts it here."""

    start: datetime.date
    end: datetime.date

    def distance(self, day: datetime.date) -> int:
        """Days from ``day`` to the period; 0 inside it."""
        return max((self.start - day).days, (day - self.end).days, 0)

    def holds(self, value: object) -> bool:
        """True when a date or a :class:`DateSpan` lies wholly inside the period."""
        if isinstance(value, DateSpan):
            return self.distance(value.start) == 0 and self.distance(value.end) == 0
        return isinstance(value, datetime.date) and self.distance(value) == 0


PLAUSIBLE_DAYS = 183  # a year-less date this close to the period could belong to that year


def _note_short_year(year: int) -> str:
    return f"两位年份，按{year}年"


# --- module-level patterns ---------------------------------------------------------------

# Zero-width characters, Excel's escaped CR, and control characters (which no document
# can hold: python-docx and openpyxl refuse them) carry nothing a reader could see.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f]|_x000[dD]_")
_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LATIN_EDGE = re.compile(r"[A-Za-z0-9]")

_CN_DIGITS = "〇零一二两三四五六七八九"
_CN_NUMERAL_CHARS = _CN_DIGITS + "十百千万亿廿卅壹贰叁肆伍陆柒捌玖拾佰仟"
_CN_DIGIT_TABLE = str.maketrans(_CN_DIGITS, "001223456789")
_CN_RUN = re.compile(f"[{_CN_NUMERAL_CHARS}]+")

# Counting units that may follow a number ("300份", "12人", "120家", "1500字").
_UNITS = "人次|[份人名家字个次场篇条期所户件张册本位项处间块幅部台元天页套起]"
_INTEGER = re.compile(
    rf"(?P<pre>大约|约)?"
    rf"(?P<num>[-−]?\d+(?:\.0+)?|[{_CN_NUMERAL_CHARS}]+)"
    rf"(?P<more>余|多|\+)?"
    rf"(?:{_UNITS})?"
    rf"(?P<post>左右)?"
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

_TIME_TAIL = re.compile(r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")
# A weekday or part of the day after a full date says nothing more: 3月24日（星期一）上午
_DAY_NOTE = re.compile(
    r"(?:\(?(?:星期|礼拜|周)[一二三四五六日天]\)?)?(?:上午|下午|晚上|中午|全天)?$"
)
_YMD = re.compile(r"(?P<y>\d{4}|\d{2})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})[日号]?")
_YMD_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_MD = re.compile(r"(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})[日号]?")
_DAY_ONLY = re.compile(r"(?P<d>\d{1,2})[日号]?")
_SPAN_SEP = re.compile(r"至|到|~|〜|—+|–|―+")

_PERSON_SEP = re.compile(r"[、,;/\n]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_TRUE_WORDS = frozenset({"是", "√", "✓", "✔", "Y", "YES", "TRUE", "1", "已"})
_FALSE_WORDS = frozenset({"否", "×", "✗", "✘", "N", "NO", "FALSE", "0", "未"})

_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel counts 1900-02-29)
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000

_P = ParamSpec("P")


# --- helpers -----------------------------------------------------------------------------


def _never_raise(func: Callable[_P, Parsed]) -> Callable[_P, Parsed]:
    """Turn any unexpected exception into an unreadable result: user input never crashes a run."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Parsed:
        try:
            return func(*args, **kwargs)
        except Exception:
            return _FAIL

    return wrapper


def _cn_int(text: str) -> int | None:
    """A whole number written in Chinese numerals ("三百", "两百", "一千五百"), else None."""
    if not text or any(ch not in _CN_NUMERAL_CHARS for ch in text):
        return None
    import cn2an  # slow to import (~0.3 s) and needed only for numbers written in words

    try:
        number = cn2an.cn2an(text, "normal")
    except Exception:  # cn2an raises ValueError and others on bad input
        return None
    if isinstance(number, float) and not number.is_integer():
        return None
    return int(number)


def _to_str(raw: object) -> str:
    """The text of a cell as typed; whole floats lose their ".0"."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat() if raw.time() == datetime.time() else str(raw)
    try:
        return _INVISIBLE.sub("", str(raw))
    except Exception:  # an object whose __str__ fails
        return ""


def _nfkc(raw: object) -> str:
    return unicodedata.normalize("NFKC", _to_str(raw))


def _join_notes(*notes: str) -> str:
    return "；".join(dict.fromkeys(n for n in notes if n))


# --- text --------------------------------------------------------------------------------


# Fast paths. str.isprintable() is False for every character the cleaners touch: control
# and format characters (U+200B, U+FEFF) and all whitespace but the ASCII space (tab, line
# break, U+3000, U+00A0). Most cells are printable text that no cleaner changes, and a few
# C-level string tests prove it without a regex; the rest take the slow path.


def _plain_line(text: str) -> bool:
    """True when ``text`` is already what :func:`clean_text` would make of it."""
    return (
        text.isprintable()
        and text[:1] != " "
        and text[-1:] != " "
        and "  " not in text
        and "_x000" not in text
    )


def plain_lines(joined: str, sep: str) -> bool:
    """:func:`_plain_line` of every text in ``joined`` (texts joined by ``sep``, which is
    printable and no space): what clean_text and clean_long_text leave as they are."""
    return (
        joined.isprintable()
        and joined[:1] != " "
        and joined[-1:] != " "
        and f" {sep}" not in joined
        and f"{sep} " not in joined
        and "  " not in joined
        and "_x000" not in joined
    )


def plain_names(joined: str, sep: str) -> bool:
    """What :func:`clean_name` leaves as it is, for every text in ``joined`` (joined by
    ``sep``: printable, no space, unchanged by NFKC and never combined with a neighbour)."""
    return (
        joined.isprintable()
        and " " not in joined
        and "_x000" not in joined
        and unicodedata.is_normalized("NFKC", joined)
    )


def _printable_nfkc(text: str) -> str | None:
    """``text`` in NFKC when that is printable (no whitespace but ASCII spaces), else None."""
    if not text.isprintable() or "_x000" in text:
        return None
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = unicodedata.normalize("NFKC", text)
    return text if text.isprintable() else None


def is_blank(raw: object) -> bool:
    """True for None, NaN, "" and whitespace-only text (including \\u3000 and \\xa0)."""
    if raw is None or (type(raw) is str and not raw):
        return True
    if type(raw) is int:  # the commonest typed values need no text at all
        return False
    if type(raw) is str and raw.isprintable():
        return not raw.strip()
    return not _to_str(raw).strip()


def blank_flags(values: Sequence[object]) -> list[bool]:
    """:func:`is_blank` of each value; printable text is judged inline (no call a value)."""
    return [
        not value.strip() if type(value) is str and value.isprintable() else is_blank(value)
        for value in values
    ]


def clean_text(raw: object) -> str:
    """One-line text: stripped, every run of whitespace collapsed to one ASCII space."""
    if type(raw) is str and _plain_line(raw):
        return raw
    return _SPACES.sub(" ", _to_str(raw)).strip()


def clean_long_text(raw: object) -> str:
    """Multi-line text: like :func:`clean_text` per line, line breaks kept.

    Lines are stripped, runs of blank lines shrink to one blank line, and blank lines at the
    start and end are dropped.
    """
    if type(raw) is str and _plain_line(raw):  # one plain line: nothing to do
        return raw
    text = _to_str(raw).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def name_key(raw: object) -> str:
    """Canonical key for counting distinct names: NFKC, no whitespace at all, lower case."""
    if type(raw) is str and (text := _printable_nfkc(raw)) is not None:
        return text.replace(" ", "").lower()
    if isinstance(raw, str):
        return _text_key(raw)
    return _SPACES.sub("", _nfkc(raw)).lower()


# Joins many texts for one pass of name_key's steps. Private use: no text has it, and the
# steps (drop invisible characters, NFKC, drop whitespace, lower case) neither change it nor
# combine it with a neighbour, so the joined key splits back into each text's own key.
_JOIN = "\ue000"
_BATCH = 256  # fewer texts than this are keyed one by one


def name_keys(texts: Sequence[str]) -> list[str]:
    """:func:`name_key` of each of many texts, in one pass over them joined (each NFKC call
    costs microseconds of set-up; a column of 100 000 distinct names is one call, not 100 000).
    """
    if len(texts) >= _BATCH and set(map(type, texts)) == {str}:
        joined = _JOIN.join(texts)
        keyed = _charwise_key(joined)
        parts = (keyed if keyed is not None else _key_of(joined)).split(_JOIN)
        if len(parts) == len(texts):
            return parts
    return [name_key(t) for t in texts]


def _charwise_key(text: str) -> str | None:
    """:func:`_key_of` done character by character, or None when that would not be the same.

    NFKC of a whole text is the NFKC of each character, joined, unless a character takes
    part in composition or reordering (combining marks, Hangul jamo): then it is None. A long
    column holds only a few distinct characters that change (full-width ，（）): replacing
    each of them throughout is many times faster than normalising the text.
    """
    if "_x000" in text:
        return None  # an escaped line break spans characters
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    changes = {}
    for code in np.flatnonzero(np.bincount(codes)).tolist():
        char = chr(code)
        if _composes(char):
            return None
        if (key := _char_key(char)) != char:
            changes[char] = key
    if any(k in changes for key in changes.values() for k in key):
        return None  # a key that would itself be replaced: keep the plain path's order
    for char, key in changes.items():
        text = text.replace(char, key)
    return text.lower()


@functools.lru_cache(maxsize=1 << 14)
def _char_key(char: str) -> str:
    return _SPACES.sub("", _nfkc(char))


@functools.lru_cache(maxsize=1 << 14)
def _composes(char: str) -> bool:
    """True when NFKC may combine ``char`` with a neighbour or move it past one.

    Composition pairs a starter with a mark (category M, or a non-zero combining class) or
    a Hangul jamo; the test suite checks that every pair in the Unicode database is covered.
    """
    return any(
        unicodedata.combining(part)
        or unicodedata.category(part).startswith("M")
        or "\u1100" <= part <= "\u11ff"
        for part in unicodedata.normalize("NFKD", char)
    )


def _key_of(text: str) -> str:
    """name_key's general path: no invisible characters, NFKC, no whitespace, lower case."""
    return _SPACES.sub("", _nfkc(text)).lower()


# Names repeat down a column (units, people, kinds): each distinct one is keyed once.
_text_key = functools.lru_cache(maxsize=1 << 16)(_key_of)


def clean_name(raw: object) -> str:
    """A person or unit name for display: NFKC and no whitespace.

    Chinese names have no spaces; a single space is kept only between two latin words or
    numbers ("John Smith").
    """
    if type(raw) is str and (text := _printable_nfkc(raw)) is not None and " " not in text:
        return text
    out = ""
    for token in _nfkc(raw).split():
        if out and _LATIN_EDGE.match(out[-1]) and _LATIN_EDGE.match(token[0]):
            out += " "
        out += token
    return out


def whole_months(start: datetime.date, end: datetime.date) -> int | None:
    """The months from the 1st of a month to the last day of one (3/1–3/31: 1), else None."""
    after = end + datetime.timedelta(days=1) if end < datetime.date.max else end  # 9999-12-31
    if start.day == 1 and after.day == 1:
        return (after.year - start.year) * 12 + after.month - start.month
    return None


# --- integers ----------------------------------------------------------------------------


_MAX_INTEGER = 10**15


@_never_raise
def parse_integer(raw: object) -> Parsed:
    """A whole number: 12, 12.0, "１２", "300份", "1,500", "三百", "-3".

    Approximate forms ("120余", "120多家", "约120", "一百多", "100+", "120左右") give the
    number with ``approx=True`` and note "约数". Booleans, dates, fractions and words such as
    "若干" are unreadable.
    """
    if is_blank(raw):
        return BLANK
    if isinstance(raw, (bool, datetime.date)):
        return _FAIL
    if isinstance(raw, (int, float)) and not abs(raw) < _MAX_INTEGER:
        return _FAIL  # no count is that big; pandas' Int64 could not hold it either
    if isinstance(raw, int):
        return Parsed(raw)
    if isinstance(raw, float):
        return Parsed(int(raw)) if raw.is_integer() else _FAIL
    if not isinstance(raw, str):
        return _FAIL
    text = _THOUSANDS.sub("", _SPACES.sub("", _nfkc(raw)))
    match = _INTEGER.fullmatch(text)
    if not match:
        return _FAIL
    num = match["num"].replace("−", "-")
    if len(num) > 18:
        return _FAIL
    value = int(num.split(".")[0]) if num[-1] in "0123456789" else _cn_int(num)
    if value is None or not abs(value) < _MAX_INTEGER:
        return _FAIL
    if match["pre"] or match["more"] or match["post"]:
        return Parsed(value, note=NOTE_APPROX, approx=True)
    return Parsed(value)


# --- dates -------------------------------------------------------------------------------


def _from_serial(number: float) -> Parsed:
    if not _SERIAL_MIN <= number <= _SERIAL_MAX:
        return _FAIL
    day = _EXCEL_EPOCH + datetime.timedelta(days=int(number))
    return Parsed(day, note=NOTE_SERIAL)


_MAX_DATE_TEXT = 100


def _date_text(raw: object) -> str:
    """Date text made regular: NFKC, time of day and spaces dropped, Chinese numerals as digits.

    A run of plain digits ("二〇〇八") is read digit by digit; a run with 十/百 ("二十八") by cn2an.
    """
    # Runs of spaces shrink first: _TIME_TAIL on a long run would be quadratic. A date is
    # short; a longer text is no date (and would only cost time).
    text = _SPACES.sub(" ", _nfkc(raw))
    if len(text) > _MAX_DATE_TEXT:
        return ""
    text = _TIME_TAIL.sub("", text.strip())
    text = _DAY_NOTE.sub("", _SPACES.sub("", text), count=1)

    def numeral(match: re.Match[str]) -> str:
        run = match[0]
        if all(ch in _CN_DIGITS for ch in run):
            return run.translate(_CN_DIGIT_TABLE)
        value = _cn_int(run)
        return run if value is None else str(value)

    return _CN_RUN.sub(numeral, text)


def _make_date(year: int, month: int, day: int, note: str = "") -> Parsed:
    try:
        return Parsed(datetime.date(year, month, day), note=note)
    except ValueError:
        return _FAIL


def _date_from_text(text: str, default_year: int, period: Period | None = None) -> Parsed:
    """Read regular date text (see :func:`_date_text`)."""
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text))
    match = _YMD.fullmatch(text) or _YMD_COMPACT.fullmatch(text)
    if match:
        year, note = int(match["y"]), ""
        if year < 100:
            year += 2000
            note = _note_short_year(year)
        return _make_date(year, int(match["m"]), int(match["d"]), note)
    match = _MD.fullmatch(text)
    if match:
        if period is not None:
            return _in_period_year(int(match["m"]), int(match["d"]), period)
        note = _note_default_year(default_year)
        return _make_date(default_year, int(match["m"]), int(match["d"]), note)
    return _FAIL


def _in_period_year(month: int, day: int, period: Period) -> Parsed:
    """A year-less date in the year that puts it inside (else nearest to) the period.

    Noted only when in doubt: when no year puts it inside and more than one year puts it near
    (a Sep–Jan campaign's "6月30日"), or when the period is long enough to hold it twice.
    """
    candidates = []
    for year in range(period.start.year - 1, period.end.year + 2):
        try:
            candidates.append(datetime.date(year, month, day))
        except ValueError:  # 2月29日 in a common year
            continue
    if not candidates:
        return _FAIL
    candidates.sort(key=lambda d: (period.distance(d), -d.year))
    inside = [d for d in candidates if period.distance(d) == 0]
    near = inside or [d for d in candidates if period.distance(d) <= PLAUSIBLE_DAYS]
    if len(near) > 1:
        years = sorted(d.year for d in near)
        return Parsed(candidates[0], note=_note_doubtful_year(years, candidates[0].year))
    return Parsed(candidates[0])


@_never_raise
def parse_date(raw: object, default_year: int, period: Period | None = None) -> Parsed:
    """A calendar date; ``value`` is a ``datetime.date``.

    Accepted: date and datetime objects; Excel serial numbers 20000..80000 (number or text);
    "2008-3-10", "2008/03/10", "2008.3.10", "2008年3月10日", "08年3月10日", "20080310",
    "2008-03-10 00:00:00"; without a year (``default_year`` is used and noted): "3/10", "3-10",
    "3.10", "3月10日", "3月10号", "3月10"; Chinese numerals: "三月十日", "二〇〇八年三月十日".

    Only month/day order is supported: "10/3" is read as October 3rd (or rejected), never as
    3 October. A number typed as 3.10 that Excel stored as the float 3.1 is rejected, since it
    cannot be told apart from 3.1.

    With a campaign ``period``, a year-less date takes the year that puts it in the period and
    is noted only when that is in doubt (see :func:`_in_period_year`).
    """
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return _FAIL
    if isinstance(raw, datetime.datetime):
        return Parsed(raw.date())
    if isinstance(raw, datetime.date):
        return Parsed(raw)
    if isinstance(raw, (int, float)):
        return _from_serial(raw)
    if not isinstance(raw, str):
        return _FAIL
    return _date_from_text(_date_text(raw), default_year, period)


# --- date spans --------------------------------------------------------------------------


def _span_end(text: str, start: datetime.date) -> Parsed:
    """The end of a span, read in the context of its start ("28日", "4月2日", "2008-03-28")."""
    match = _DAY_ONLY.fullmatch(text)
    if match:
        return _make_date(start.year, start.month, int(match["d"]))
    if _MD.fullmatch(text):
        end = _date_from_text(text, start.year)
        if not end.ok:
            return end
        if start.month == 12 and end.value.month == 1:
            return Parsed(end.value.replace(year=start.year + 1), note=NOTE_NEXT_YEAR)
        return Parsed(end.value)  # the year came from the start: nothing new guessed
    return _date_from_text(text, start.year)


def _split_span(left: str, right: str, default_year: int, period: Period | None = None) -> Parsed:
    start = _date_from_text(left, default_year, period)
    if not start.ok or not right:
        return _FAIL
    end = _span_end(right, start.value)
    if not end.ok:
        return _FAIL
    return Parsed(DateSpan(start.value, end.value), note=_join_notes(start.note, end.note))


@_never_raise
def parse_span(raw: object, default_year: int, period: Period | None = None) -> Parsed:
    """A date or a range of dates; ``value`` is a :class:`DateSpan`.

    Any form :func:`parse_date` reads gives a single-day span. Ranges: "3月26-28日",
    "3月26—28日", "3月26~28日", "3月26日至28日", "3月26日至3月28日", "3月26日-4月2日",
    "2008-03-26至2008-03-28", "3/26-3/28", "3/26-28". An end before the start is kept
    (``reversed`` is True) for validation to report; "12月30日至1月2日" ends in the next year.
    """
    if is_blank(raw):
        return BLANK
    single = parse_date(raw, default_year, period)
    if single.ok:
        return Parsed(DateSpan(single.value, single.value), note=single.note)
    if not isinstance(raw, str):
        return _FAIL
    text = _SPAN_SEP.sub("至", _date_text(raw))
    parts = text.split("至")
    if len(parts) == 2:
        return _split_span(parts[0], parts[1], default_year, period)
    if len(parts) > 2:
        return _FAIL
    # Only "-" left: it also separates year, month and day, so try every position.
    for pos in (i for i, ch in enumerate(text) if ch == "-"):
        result = _split_span(text[:pos], text[pos + 1 :], default_year, period)
        if result.ok:
            return result
    return _FAIL


# --- booleans, persons, choices ----------------------------------------------------------


@_never_raise
def parse_bool(raw: object) -> Parsed:
    """Yes/no: True/False, 1/0, 是/否, √/×, ✓/✗, Y/N, YES/NO, TRUE/FALSE, 已/未."""
    if is_blank(raw):
        return BLANK
    if isinstance(raw, (bool, int, float)):
        return Parsed(bool(raw)) if raw in (0, 1) else _FAIL
    if not isinstance(raw, str):
        return _FAIL
    word = _SPACES.sub("", _nfkc(raw)).upper()
    if word in _TRUE_WORDS:
        return Parsed(True)
    if word in _FALSE_WORDS:
        return Parsed(False)
    return _FAIL


_DENG_SUFFIX = re.compile(r"(?<=\S)等(?:人|同志)$")
_DENG_AFTER_LIST = re.compile(r"(?<=\S)等$")


def _without_trailing_deng(text: str) -> str:
    """张三、李四等 names two people; a bare 等 ends only a list (李成等 may be a name)."""
    text = _DENG_SUFFIX.sub("", text)
    return _DENG_AFTER_LIST.sub("", text) if _PERSON_SEP.search(text) else text


def _split_piece(piece: str) -> list[str]:
    """Names in one piece: split on spaces only if every token looks like a whole CJK name."""
    tokens = piece.split()
    if len(tokens) > 1 and all(len(t) >= 2 and _CJK.search(t) for t in tokens):
        return [clean_name(t) for t in tokens]
    return [clean_name(piece)]


@_never_raise
def parse_persons(raw: object) -> Parsed:
    """One or more names; ``value`` is a tuple of :func:`clean_name`'d names.

    Separators: 、，,；;/ and line breaks. Within a piece, spaces separate names only when
    every token has at least two characters and contains a CJK character ("张三 李四" is two
    names, " 张 三 " and "John Smith" are one). Order is kept and duplicates are dropped.
    """
    if is_blank(raw):
        return BLANK
    if not isinstance(raw, str):
        return _FAIL
    names: list[str] = []
    text = _without_trailing_deng(_nfkc(raw).strip())
    for piece in _PERSON_SEP.split(text):
        names.extend(n for n in _split_piece(piece) if n)
    unique = tuple(dict.fromkeys(names))
    if not unique:
        return _FAIL
    return Parsed(unique, note=NOTE_DUPLICATE_NAMES if len(unique) < len(names) else "")


@_never_raise
def parse_choice(raw: object, choices: Sequence[str]) -> Parsed:
    """One of ``choices``; ``value`` is the choice as spelled in ``choices``.

    Matches exactly after clean_text and NFKC, else ignoring all whitespace, width and latin
    case. Anything else is unreadable.
    """
    if is_blank(raw):
        return BLANK
    text = unicodedata.normalize("NFKC", clean_text(raw))
    for choice in choices:
        if text == choice or text == unicodedata.normalize("NFKC", choice):
            return Parsed(choice)
    key = name_key(text)
    for choice in choices:
        if key == name_key(choice):
            return Parsed(choice)
    return _FAIL
