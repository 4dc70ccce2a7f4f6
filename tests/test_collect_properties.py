"""Properties of the split/merge round on small books drawn from the example."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_report import collect
from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.adapters.xlsx_template import build_workbook
from campaign_report.definition import load_definition
from campaign_report.example import load_example
from campaign_report.steps import merge_files, split_file

DEFINITION = load_definition()
RECORDS, SETTINGS = load_example(DEFINITION)
UNIT_SHEETS = collect.unit_sheets(DEFINITION)
ROSTER = [row[0] for row in RECORDS["units"]]
GONE = "已撤并的所"  # rows of a unit no longer on the roster: nobody's copy, kept as they are
ROUND = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _unit_at(sheet) -> int:
    return [c.key for c in sheet.columns].index(sheet.unit_column)


@st.composite
def books(draw: st.DrawFn) -> tuple[dict, list[str]]:
    """A roster of 1–3 units and, on each unit sheet, up to 6 example rows given to them."""
    units = draw(st.lists(st.sampled_from(ROSTER[1:]), min_size=1, max_size=3, unique=True))
    records = dict(RECORDS)
    records["units"] = [r for r in RECORDS["units"] if r[0] in units]
    for sheet in UNIT_SHEETS:
        owners = units + [GONE] + ([] if sheet.column(sheet.unit_column).required else [None])
        rows = []
        for row in draw(st.lists(st.sampled_from(RECORDS[sheet.key]), max_size=6)):
            row = list(row)
            row[_unit_at(sheet)] = draw(st.sampled_from(owners))
            rows.append(row)
        records[sheet.key] = rows
    return records, units


def rows_of(path: Path) -> dict[str, list[collect.Row]]:
    raw = read_raw_sheets(path)
    return {s.key: collect.read_table(s, raw[s.name]).rows for s in UNIT_SHEETS}


def bag(rows: list[collect.Row], keep=lambda row: True) -> Counter:
    return Counter(r.values for r in rows if keep(r))


def _round(records: dict, folder: Path) -> tuple[Path, Path]:
    master = build_workbook(DEFINITION, folder / "台账.xlsx", records, SETTINGS)
    split_file(master, folder / "copies")
    return master, folder / "copies"


@ROUND
@given(books())
def test_split_then_merge_without_edits_gives_back_the_same_rows(book) -> None:
    records, _ = book
    with tempfile.TemporaryDirectory() as scratch:
        master, copies = _round(records, Path(scratch))
        result, out = merge_files(master, [copies])
        before, after = rows_of(master), rows_of(out)
        for sheet in UNIT_SHEETS:
            assert bag(after[sheet.key]) == bag(before[sheet.key]), sheet.name
        assert not result.conflicts and not result.skipped
        assert all(not change.any for change in result.changes.values())


@ROUND
@given(books(), st.data())
def test_edits_in_one_copy_change_that_units_rows_only(book, data) -> None:
    records, units = book
    unit = data.draw(st.sampled_from(units))
    with tempfile.TemporaryDirectory() as scratch:
        master, copies = _round(records, Path(scratch))
        copy = copies / collect.copy_filename(master, unit)
        edits = _edit(copy, unit, data)
        result, out = merge_files(master, [copies])
        before, after, sent = rows_of(master), rows_of(out), rows_of(copy)
        for sheet in UNIT_SHEETS:
            key = sheet.key

            def others(r: collect.Row) -> bool:
                return r.unit != unit

            assert bag(after[key], others) == bag(before[key], others), sheet.name
            mine = bag(after[key], lambda r: r.unit == unit)
            assert mine == bag(sent[key], lambda r: r.unit == unit), sheet.name
            deleted, appended = edits.get(key, (0, 0))
            change = result.changes[(unit, key)]
            assert len(after[key]) == len(before[key]) + appended - deleted
            assert len(after[key]) == len(before[key]) + change.added - change.deleted


def _edit(path: Path, unit: str, data: st.DataObject) -> dict[str, tuple[int, int]]:
    """Delete some of the unit's rows and append some new ones, as its clerk would."""
    book = openpyxl.load_workbook(path)
    done = {}
    for sheet in data.draw(st.lists(st.sampled_from(UNIT_SHEETS), max_size=2, unique=True)):
        ws = book[sheet.name]
        filled = [r for r in range(2, ws.max_row + 1) if any(c.value for c in ws[r])]
        gone = data.draw(st.lists(st.sampled_from(filled), unique=True)) if filled else []
        for row in sorted(gone, reverse=True):
            ws.delete_rows(row)
        new = data.draw(st.lists(st.sampled_from(RECORDS[sheet.key]), max_size=3))
        last = max([r for r in range(2, ws.max_row + 1) if any(c.value for c in ws[r])] or [1])
        for offset, values in enumerate(new, start=1):
            for col, value in enumerate(values, start=1):
                ws.cell(last + offset, col, value)
            ws.cell(last + offset, _unit_at(sheet) + 1, unit)
        done[sheet.key] = (len(gone), len(new))
    book.save(path)
    return done


# -- the merge writer's quick paths write what its cell-by-cell path writes --

VISITS = DEFINITION.sheet("visits")
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_VALUE = st.one_of(
    st.none(),
    _TEXT,
    st.sampled_from(["", "走访", "a&b", "<x>", "=1+1", '12"', "tab\there"]),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
_STYLE = st.one_of(st.none(), st.integers(0, 30).map(str))


def _visits_table(columns: list[int]) -> collect.SheetRows:
    """The 走访 sheet's columns at ``columns`` (Excel numbers), as a master has them."""
    positions = {c.key: col for c, col in zip(VISITS.columns, columns, strict=False)}
    return collect.SheetRows(VISITS, 1, positions, [])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_new_rows_are_written_as_cell_by_cell(data) -> None:

    width = len(VISITS.columns)
    columns = data.draw(st.permutations(range(1, width + 3)))[:width]
    table = _visits_table(columns)
    source_col = data.draw(st.integers(1, width + 4))
    styles = {col: s for col in range(1, width + 5) if (s := data.draw(_STYLE)) is not None}
    present = tuple(data.draw(st.lists(st.integers(0, width - 1), unique=True)))
    values = tuple(data.draw(_VALUE) for _ in range(width))
    source = data.draw(st.one_of(st.just(""), _TEXT))
    _assert_written_as_cell_by_cell(table, styles, source_col, present, values, source, data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_usual_new_rows_are_joined_as_cell_by_cell(data) -> None:
    """Every column styled; texts, dates, numbers and blanks; a source left of, right of or
    among the columns: the rows joined from kept pieces."""
    from campaign_report.adapters import xlsx_parts

    width = len(VISITS.columns)
    columns = data.draw(st.permutations(range(1, width + 3)))[:width]
    table = _visits_table(columns)
    source_col = data.draw(st.sampled_from([c for c in range(1, width + 4) if c not in columns]))
    styles = {col: str(data.draw(st.integers(0, 30))) for col in range(1, width + 5)}
    present = tuple(data.draw(st.lists(st.integers(0, width - 1), min_size=2, unique=True)))
    kinds = st.one_of(
        st.none(),
        _TEXT,
        st.dates(),
        st.sampled_from(["a&b", "x", "=1", 1, 1.0, True, float("nan")]),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False),
    )
    values = tuple(data.draw(kinds) for _ in range(width))
    source = data.draw(_TEXT.filter(lambda t: t and xlsx_parts._inline_tail(t) is not None))
    writer = _assert_written_as_cell_by_cell(
        table, styles, source_col, present, values, source, data
    )
    assert writer.layouts[present].pieces is not None
    # A next row, its values beside what the writer kept (1 after 1.0, "x" after "x" …)
    values = tuple(data.draw(st.sampled_from([v, *values])) for v in values)
    _assert_written_as_cell_by_cell(
        table, styles, source_col, present, values, source, data, writer
    )


def _assert_written_as_cell_by_cell(
    table, styles, source_col, present, values, source, data, writer=None
):
    from campaign_report.adapters import xlsx_parts

    row = collect.OutRow(None, values, present, source)
    number = data.draw(st.integers(2, 10**5))
    plain = xlsx_parts._inline_tail(source) is not None  # as _SheetLayout.rewrite finds it
    writer = writer or xlsx_parts._NewRows(table, styles, source_col, plain)
    expected = xlsx_parts._row_xml(number, row, {}, table, styles, source_col).encode()
    assert writer.row(number, row) == expected
    assert writer.row(number, row) == expected  # the cells' pieces now from the writer's memory
    return writer


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_kept_rows_are_moved_as_cell_by_cell(data) -> None:
    from campaign_report.adapters import xlsx_parts
    from campaign_report.model import column_letter

    old = data.draw(st.integers(2, 40))
    number = data.draw(st.sampled_from([old, old + 1, old + 2, data.draw(st.integers(2, 99))]))
    columns = sorted(data.draw(st.sets(st.integers(1, 30), max_size=8)))
    cells = []
    for col in columns:
        style = data.draw(st.integers(0, 45))  # a style number may equal the row's
        text = data.draw(st.sampled_from(["", f'{old}"', "x", f"{old}", "走访"]))
        cells.append(
            f'<c r="{column_letter(col)}{old}" s="{style}" t="inlineStr"><is><t>{text}</t></is></c>'
        )
    extra = data.draw(
        st.sampled_from(["", ' spans="1:9"', ' spans="1:9" ht="20" customHeight="1"'])
    )
    xml = f'<row r="{old}"{extra}>{"".join(cells)}</row>' if cells else f'<row r="{old}"{extra}/>'
    source_col = data.draw(st.integers(1, 32))
    source = data.draw(st.sampled_from(["", "甲所：台账.甲所.xlsx 第3行", "A&B 第3行"]))
    row = collect.OutRow(old, None, (), source)
    plain = xlsx_parts._inline_tail(source) is not None  # as _SheetLayout.rewrite finds it
    mover = xlsx_parts._Mover(xml.encode(), source_col, plain)  # rows move as UTF-8 bytes
    moved = mover.move(xml.encode().removeprefix(b"<row "), old, number, source)
    table = _visits_table(list(range(1, len(VISITS.columns) + 1)))
    expected = xlsx_parts._row_xml(number, row, {old: xml}, table, {}, source_col)
    assert moved is None or moved == expected.encode()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 60), min_size=0, max_size=12, unique=True),
    st.booleans(),
    st.sampled_from(["", "\n", "  "]),
    st.integers(0, 3),
)
def test_rows_are_found_by_position_as_by_their_numbers(numbers, in_order, blank, self_closing):
    """The positional look-up finds what a dict of every row holds, however rows are laid."""
    from campaign_report.adapters import xlsx_parts

    numbers = sorted(numbers) if in_order else numbers
    rows = [
        f'<row r="{n}" spans="1:2"/>'
        if i == self_closing
        else f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
        for i, n in enumerate(numbers)
    ]
    body = blank.join(rows)
    index, every = xlsx_parts._Rows(body.encode()), xlsx_parts._rows(body)
    for n in range(0, 63):
        assert index.get(n) == every.get(n, "")
    assert index.above(1) == []
    assert index.above(30) == [xml for n, xml in sorted(every.items()) if n < 30]


_CELL_TAG = st.sampled_from(
    [
        '<c r="{letters}7" s="1"/>',
        '<c s="1" r="{letters}7"/>',
        '<c r="7"/>',
        "<c>",
        '<c r="{letters}7">',
    ]
)


@given(st.lists(st.tuples(_CELL_TAG, st.integers(1, 800)), max_size=6), st.integers(1, 800))
def test_the_movers_one_scan_tells_what_its_four_would(cells, source_col) -> None:
    """The sheet-wide checks in one pattern: every address first and with its column
    (``plain``), and no cell in 合并来源's column or right of it (``clear``)."""
    from campaign_report.adapters import xlsx_parts
    from campaign_report.model import column_letter

    body = "".join(tag.format(letters=column_letter(col)) for tag, col in cells).encode()
    letters = column_letter(source_col)
    plain = body.count(b"<c ") == body.count(b'<c r="') and not xlsx_parts._NO_LETTERS.search(body)
    clear = plain and not xlsx_parts._at_or_right_of(letters).search(body)
    mover = xlsx_parts._Mover(body, source_col)
    assert (mover.plain, mover.clear) == (plain, clear)


@given(st.integers(1, 18278), st.integers(1, 18278))
def test_a_column_at_or_right_of_another_is_found_by_its_letters(col, other) -> None:
    from campaign_report.adapters import xlsx_parts
    from campaign_report.model import column_letter

    pattern = xlsx_parts._at_or_right_of(column_letter(col))
    found = pattern.search(f'<c r="{column_letter(other)}7" s="1"/>'.encode()) is not None
    assert found == (other >= col)
