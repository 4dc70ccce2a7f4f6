"""Property tests: random values of every type in every column of every sheet.

The example's raw sheets (as the file reader hands them over) are changed in memory, so
each example costs a parse, not a file: validate never raises, aggregate and the forced
report never raise, and a table's figures do not move for blank rows, total rows or
columns moved about.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from campaign_report import normalise as nm
from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.aggregate import aggregate
from campaign_report.model import CellError, RawSheet, load_book
from campaign_report.steps import write_report
from campaign_report.validate import validate

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a book takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "合计",
            "=cmd|' /C calc'!A0",
            "+1",
            "-1",
            "@A1",
            "3月10日",
            "3月26-28日",
            "2008-13-45",
            "120余",
            "三百",
            "１２",
            "是",
            "否",
            "局领导",
            "办公室",
            "nan",
            "None",
            "\x01\x1f",
            "😀",
            "\u202eعربى",
            "9" * 40,
            " " * 300 + "3/10",
        ]
    ),
)
VALUES = st.one_of(
    st.none(),
    TEXTS,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
    st.sampled_from([CellError(e) for e in ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?")]),
)


@pytest.fixture(scope="module")
def raw(example_master: Path) -> dict[str, RawSheet]:
    return read_raw_sheets(example_master)


def _with(raw: dict[str, RawSheet], sheet: str, rows: list[list[Any]]) -> dict[str, RawSheet]:
    return {**raw, sheet: RawSheet(sheet, [tuple(r) for r in rows])}


@st.composite
def scrambled(draw: st.DrawFn, raw: dict[str, RawSheet]) -> dict[str, RawSheet]:
    """The example with random cells (headers included, now and then) set to random values."""
    sheets = dict(raw)
    for name in draw(st.lists(st.sampled_from(sorted(raw)), min_size=1, max_size=6, unique=True)):
        rows = [list(r) for r in raw[name].rows]
        if not rows:
            continue
        for _ in range(draw(st.integers(1, 40))):
            row = draw(st.integers(0 if draw(st.booleans()) else 1, len(rows) - 1))
            col = draw(st.integers(0, max(len(rows[row]) - 1, 0) + 2))
            rows[row] += [None] * (col + 1 - len(rows[row]))
            rows[row][col] = draw(VALUES)
        sheets = _with(sheets, name, rows)
    return sheets


def test_no_step_raises_on_random_values(
    raw: dict[str, RawSheet], definition, tmp_path: Path
) -> None:
    @SETTINGS
    @given(scrambled(raw))
    def check(sheets: dict[str, RawSheet]) -> None:
        book = load_book(definition, sheets)
        result = validate(book)
        assert not [i for i in result.issues if not i.message]
        shown = [i.value for i in result.issues if i.rule == "required"]
        assert all(map(nm.is_blank, shown)), shown  # an empty cell never shows as "nan"
        written = write_report(book, tmp_path / "r.docx", markdown=True, force=True)
        assert docx.Document(written["报告"]).paragraphs

    check()


def _figures(definition, sheets: dict[str, RawSheet]) -> tuple[Any, ...]:
    summary = aggregate(load_book(definition, sheets))
    per_unit = summary.per_unit.to_dict("records")
    return tuple(summary.key_figures()), tuple(tuple(r.items()) for r in per_unit)


TABLES = ["走访", "金点子", "征求意见表", "心得体会", "活动", "意见建议", "实事项目", "督查"]


def test_figures_ignore_blank_rows_total_rows_and_moved_columns(
    raw: dict[str, RawSheet], definition
) -> None:
    baseline = _figures(definition, raw)

    @SETTINGS
    @given(st.data())
    def check(data: st.DataObject) -> None:
        sheets = dict(raw)
        for name in data.draw(st.lists(st.sampled_from(TABLES), min_size=1, unique=True)):
            header, *body = (list(r) for r in raw[name].rows)
            width = len(header)
            blank = st.sampled_from([None, "", " ", "\u3000"])
            for _ in range(data.draw(st.integers(0, 5))):
                at = data.draw(st.integers(0, len(body)))
                body.insert(at, [data.draw(blank) for _ in range(width)])
            for _ in range(data.draw(st.integers(0, 2))):
                total = ["合计"] + [data.draw(st.integers(0, 999)) for _ in range(width - 1)]
                body.insert(data.draw(st.integers(0, len(body))), total)
            order = data.draw(st.permutations(range(width)))
            rows = [[r[i] if i < len(r) else None for i in order] for r in [header, *body]]
            sheets = _with(sheets, name, rows)
        assert _figures(definition, sheets) == baseline

    check()


class _Slow(str):
    """A str subclass: the cleaners' fast paths test ``type(x) is str``, so this takes the
    general path, which serves as the reference the fast paths must agree with."""


_ALPHABET = [*"ab Z9张三、（）１Ａ﹣_x0dD", *"\u3000\xa0\t\n\r\u200b\ufeff", *" " * 6]
_TEXTS = st.text(st.sampled_from(_ALPHABET), max_size=12) | st.text(max_size=8)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
@example("a  b")
@example("_x000D_ 张三")
def test_fast_paths_of_the_cleaners_agree_with_the_general_path(text: str) -> None:
    for clean in (nm.clean_text, nm.clean_long_text, nm.clean_name, nm.name_key, nm.is_blank):
        assert clean(text) == clean(_Slow(text)), (clean.__name__, text)


def test_every_composition_pair_of_unicode_is_left_to_full_nfkc() -> None:
    """name_keys maps characters one by one unless one may compose: the second of every
    canonical pair in the Unicode database (and Hangul's vowel and final jamo) must count
    as composing, or a batch key would differ from NFKC of the text."""
    seconds = {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}
    for code in range(0x110000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    assert len(seconds) > 100
    assert not [hex(ord(c)) for c in seconds if not nm._composes(c)]


_PLAIN_KEY_ALPHABET = [*"张三李四（），：；１２Ａｚ　 \t\n\u200b_x0dDΣσς①㈠ﬁ\uf900"]
_KEY_ALPHABET = [*_PLAIN_KEY_ALPHABET, *"e\u0301\u0308ᄀ\u1161\u11a8가ㄱㅏ\uffa0"]
_COLUMN_TEXTS = st.lists(
    st.none()
    | st.sampled_from(["#N/A", " #REF! ", "a|b", "a |b", "a| b", "|", "e\u0301", "Ａ"])
    | _TEXTS,
    max_size=30,
) | st.lists(  # mostly texts no cleaner changes, so that the joined test often passes
    st.text(st.sampled_from([*"ab张三|#Ａ_x0", " "]), max_size=6), max_size=30
)


@settings(max_examples=400, deadline=None)
@given(_COLUMN_TEXTS)
@example(["张三", "李四", "a b"])  # plain lines, not plain names
@example(["x", "y |z"])  # a separator next to a space inside a text: the usual path
@example(["a ", "b"])  # spaces a cleaner strips or collapses, wherever they stand
@example(["a", " b"])
@example(["a  b", "c"])
@example([" a", "b"])
@example(["张三_x000D_"])  # an escaped line break Excel wrote
def test_a_columns_texts_tested_at_once_read_as_each_one_alone(uniques: list[str | None]) -> None:
    from campaign_report import model

    for clean in (nm.clean_text, nm.clean_long_text, nm.clean_name):
        expected: list[object] = []
        failed = []
        for index, value in enumerate(uniques):
            if isinstance(value, str) and model._is_error_value(value):
                expected.append(None)
                failed.append(index)
            else:
                expected.append(clean(value) or None)
        values, doubtful = model._parse_texts(clean, uniques)
        assert values == expected and sorted(doubtful) == failed


_KEY_TEXTS = st.sampled_from([_PLAIN_KEY_ALPHABET, _KEY_ALPHABET]).flatmap(
    lambda alphabet: st.lists(st.text(st.sampled_from(alphabet), max_size=10), min_size=1)
)


@settings(max_examples=300, deadline=None)
@given(_KEY_TEXTS)
def test_name_keys_of_a_batch_are_the_keys_one_by_one(texts: list[str]) -> None:
    batch = texts * (nm._BATCH // len(texts) + 1)  # long enough for the joined path
    assert nm.name_keys(batch) == [nm.name_key(t) for t in batch]


def test_a_batch_of_full_width_texts_takes_the_character_path() -> None:
    texts = [f"第{n}条意见（关于办事窗口），请改进：１２Ａ" for n in range(nm._BATCH)]
    assert nm._charwise_key(nm._JOIN.join(texts)) is not None
    assert nm.name_keys(texts)[7] == "第7条意见(关于办事窗口),请改进:12a"


# Names that collide on their key (spaces, full-width forms, brackets) and names that do not.
_NAMES = st.lists(
    st.sampled_from(
        ["古市所", "古市 所", "古市所 ", "ＡＢ公司", "AB公司", "（甲）", "(甲)", "乙", ""]
    )
    | st.text(st.sampled_from("甲乙丙 （）()Ａa"), max_size=4)
    | st.none(),
    max_size=40,
)


@given(_NAMES, st.integers(0, 5))
def test_distinct_names_are_each_keys_first_text_in_first_seen_order(names, limit) -> None:
    from campaign_report import aggregate as ag

    seen: dict[str, str] = {}  # the rule, a name at a time
    for name in dict.fromkeys(names):
        if isinstance(name, str) and name:
            seen.setdefault(nm.name_key(name), name)
    expected = list(seen.values())
    assert ag._distinct(names, limit) == (expected[:limit] if limit else expected)


_UNIT_CELLS = (
    st.sampled_from(["古市所", "古市 所", "乙", "", "（甲）", "(甲)"])
    | st.none()
    | st.tuples(st.sampled_from(["古市所", "乙", "丙"]), st.sampled_from(["乙", "丙 "]))
    | st.just(())
)


@given(
    st.lists(st.tuples(_UNIT_CELLS, st.none() | st.integers(0, 50)), max_size=60),
    st.booleans(),
)
def test_per_unit_counts_are_each_rows_units_counted_one_by_one(rows, by_rows) -> None:
    """Counted by distinct cell, as the rule says a row at a time: each unit a cell names,
    its rows or its amount (a blank amount left out)."""
    import pandas as pd

    from campaign_report import aggregate as ag

    expected: dict[str, int] = {}
    for unit, amount in rows:
        if by_rows or amount is not None:
            for key in ag._unit_keys(unit):
                if key is not None:
                    expected[key] = expected.get(key, 0) + (1 if by_rows else amount)
    cells = pd.Series([u for u, _ in rows], dtype=object)
    amounts = None if by_rows else pd.Series([a for _, a in rows], dtype="Int64")
    assert ag._per_unit_key(cells, amounts) == expected


@given(
    st.lists(
        st.sampled_from(["古市 所", "古市所", "ＡＢ", "ab", "乙"]) | st.text(max_size=3),
        max_size=300,  # past name_keys' batch size: the joined pass too
    ),
    st.lists(st.none() | st.just(float("nan")) | st.integers(0, 3) | st.dates(), max_size=3),
    st.booleans(),
)
def test_duplicate_keys_of_many_values_are_each_values_key(texts, others, others_last) -> None:
    from campaign_report.validate import _duplicate_key, _duplicate_key_list

    values = [*texts, *others] if others_last else [*others, *texts]
    expected = [_duplicate_key(v) for v in values]
    found = _duplicate_key_list(values)
    assert len(found) == len(expected)
    assert all(a == b or (a != a and b != b) for a, b in zip(found, expected, strict=True))


_RECORD_CELL = st.one_of(
    st.none(),
    st.sampled_from(
        ["", "  ", "\u3000", "合计", "总计", " 合 计 ", "Total", "小计：", "合计金额很多字"]
    ),
    st.text(max_size=4),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
)


@given(st.lists(st.lists(_RECORD_CELL, min_size=1, max_size=4), min_size=0, max_size=12))
@example([["合计", None], [None, 1]])
@example([["合" + " " * 10 + "计", "x"], ["a", "b"]])  # a total label at the longest
@example([[None, "x"], ["a", None]])
def test_record_rows_told_from_distinct_values_are_the_factorised_rules(rows) -> None:
    """The quick answer (every row a record) is given exactly when the row-by-row rule
    keeps every row."""
    from campaign_report import model

    width = max((len(r) for r in rows), default=1)
    cells = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    expected = model._kept_rows({k: model._Cells.of(v) for k, v in cells.items()}, len(rows))
    assert model._record_rows(cells, len(rows)) == expected.tolist()
