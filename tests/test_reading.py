"""Reading a filled workbook into typed tables that keep each value's address."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from campaign_report import normalise as nm
from campaign_report.adapters import xlsx_reader
from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.cli import main
from campaign_report.errors import BookReadError
from campaign_report.model import ROW, load_book
from campaign_report.steps import open_book


def test_example_rows_give_the_seed_figures(example_master: Path) -> None:
    book = open_book(example_master)
    visits = book.frame("visits")
    late_march = visits[(visits["target_kind"] == "企业") & (visits["date"] >= "2008-03-21")]
    visitors = {nm.name_key(n) for names in late_march["visitors"] for n in names}
    assert len(visitors) == 86
    assert late_march["target_name"].map(nm.name_key).nunique() == 123
    assert book.frame("questionnaires")["handed_out"].sum() == 300
    essays = book.frame("essays")
    assert len(essays) == 31 and essays["submitted"].sum() == 4
    assert round(essays["length"].mean(), -2) == 1500
    activities = book.frame("activities")
    assert activities.loc[activities["kind"] == "分组讨论", "group"].nunique() == 6
    festival = activities[activities["kind"] == "驻场服务"].iloc[0]
    assert festival["daily_staff"] == 12  # typed as full-width １２
    trip = activities[activities["kind"] == "外出考察"].iloc[0]
    assert (trip["date"].date(), trip["date_end"].date()) == (
        dt.date(2008, 3, 26),
        dt.date(2008, 3, 28),
    )
    assert len(book.frame("projects")) == 10
    units = set(book.frame("units")["name"]) - {"局领导"}
    assert units <= set(book.frame("ideas")["unit"])


def test_every_record_keeps_its_excel_row(example: Path, edit) -> None:
    editor = edit(example)
    row = editor.find("走访", "对象名称", editor.get("走访", 7, "对象名称"))
    book = open_book(example)
    visits = book.table("visits")
    record = visits.data[visits.data[ROW] == row].iloc[0]
    assert record["target_name"] == nm.clean_text(editor.get("走访", row, "对象名称"))
    assert visits.columns["target_name"] == editor.col("走访", "对象名称")


def test_blank_rows_and_total_rows_are_ignored(example: Path, edit) -> None:
    before = len(open_book(example).frame("questionnaires"))
    editor = edit(example)
    last = editor.book["征求意见表"].max_row
    editor.set("征求意见表", last + 2, "发放单位", "合计")
    editor.set("征求意见表", last + 2, "发放份数", 300)
    editor.set("征求意见表", last + 3, "发放对象", "　 ")  # only a full-width space
    editor.set("征求意见表", last + 4, "发放日期", "汇总")  # Excel's Total Row label
    editor.set("征求意见表", last + 4, "发放份数", "=SUBTOTAL(109,[发放份数])")
    editor.save()
    book = open_book(example)
    assert len(book.frame("questionnaires")) == before
    assert book.frame("questionnaires")["handed_out"].sum() == 300


def test_columns_are_found_by_header_wherever_they_stand(example: Path, edit) -> None:
    editor = edit(example)
    ws = editor.book["督查"]
    ws.insert_rows(1, 2)
    ws["A1"] = "2008年督查记录"
    ws.move_range("A3:A20", cols=10)  # 检查日期 moved to column K
    editor.save()
    book = open_book(example)
    inspections = book.table("inspections")
    assert inspections.header_row == 3
    assert inspections.columns["date"] == 11
    assert inspections.data["date"].notna().all()
    assert inspections.data[ROW].min() == 4


@pytest.mark.parametrize(
    ("sheet", "header", "typed", "rule"),
    [
        ("走访", "走访日期", "2008-13-45", "unreadable_date"),
        ("征求意见表", "发放份数", "一些", "unreadable_integer"),
        ("活动", "日期", "3月26-日", "unreadable_range"),
        ("心得体会", "是否上报", "也许", "bad_bool"),
        ("意见建议", "整改状态", "快好了", "bad_choice"),
    ],
)
def test_unreadable_values_are_kept_and_reported_at_their_cell(
    example: Path, edit, sheet: str, header: str, typed: str, rule: str
) -> None:
    editor = edit(example)
    row, col = editor.set(sheet, 5, header, typed)
    editor.save()
    book = open_book(example)
    found = [i for i in book.issues if i.rule == rule]
    assert [(i.sheet, i.row, i.col, i.value) for i in found] == [(sheet, row, col, typed)]
    assert typed in found[0].message
    table = next(t for t in book.tables.values() if t.sheet.name == sheet)
    index = table.data.index[table.data[ROW] == row][0]
    assert table.raw.at[index, table.sheet.columns[col - 1].key] == typed  # kept as typed


def test_year_less_dates_inside_the_period_are_read_without_a_warning(
    example_master: Path,
) -> None:
    """3/24, ３月２７日 and 3月26-28日 (the forms 填表说明 recommends) are not in doubt."""
    book = open_book(example_master)
    assert book.issues == []
    visits = book.frame("visits")
    typed = book.table("visits").raw["date"]
    assert visits.loc[typed == "３月２７日", "date"].iloc[0].date() == dt.date(2008, 3, 27)


def test_both_readers_give_the_same_tables(example_master: Path, definition) -> None:
    fast = load_book(definition, read_raw_sheets(example_master, engine="calamine"))
    plain = load_book(definition, read_raw_sheets(example_master, engine="openpyxl"))
    for key in fast.tables:
        pd.testing.assert_frame_equal(fast.frame(key), plain.frame(key), check_dtype=False)
    assert fast.settings == plain.settings


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"not a zip", "坏文件.xlsx", "不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0", "旧格式.xls", "旧版 .xls"),
    ],
)
def test_unreadable_files_get_one_chinese_line(
    tmp_path: Path, capsys, content, name, reason
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BookReadError, match=reason):
        open_book(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("错误：")]
    assert len(errors) == 1 and reason in errors[0] and "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys) -> None:
    assert main(["aggregate", str(tmp_path / "没有.xlsx")]) == 2
    assert "找不到文件" in capsys.readouterr().err


def test_an_unwritable_output_is_one_chinese_line(
    example_master: Path, tmp_path: Path, capsys
) -> None:
    blocker = tmp_path / "不是文件夹"
    blocker.write_text("x")
    assert main(["aggregate", str(example_master), "--out", str(blocker / "汇总.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "错误：无法写入“" in err and "同名的文件" in err and "Traceback" not in err


def test_a_read_begun_ahead_is_taken_by_the_same_read_of_the_unchanged_file(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaign_report.adapters import xlsx_reader

    monkeypatch.setattr(xlsx_reader, "AHEAD_FLOOR", 0)  # the example counts as big
    scans = []
    real = xlsx_reader.inspect
    monkeypatch.setattr(xlsx_reader, "inspect", lambda *a, **k: scans.append(1) or real(*a, **k))
    xlsx_reader.read_ahead(example)
    taken = xlsx_reader.read_raw_sheets(example, ahead=True)
    assert len(scans) == 1 and isinstance(taken, xlsx_reader.SheetsAhead)
    assert taken["走访"].rows == xlsx_reader.read_raw_sheets(example)["走访"].rows
    assert len(scans) == 2  # taken once: the read after it is a read of its own

    xlsx_reader.read_ahead(example)
    xlsx_reader._started[1].result()  # done, then the file changes
    book = openpyxl.load_workbook(example)
    book["走访"].cell(2, 5, "改过的名称")
    book.save(example)
    fresh = xlsx_reader.read_raw_sheets(example, ahead=True)
    assert "改过的名称" in fresh["走访"].rows[1] and len(scans) == 4


def test_a_read_begun_ahead_fails_where_it_is_taken_as_it_would_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    damaged = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook")
    with pytest.raises(BookReadError) as direct:
        xlsx_reader.read_raw_sheets(damaged, ahead=True)
    monkeypatch.setattr(xlsx_reader, "AHEAD_FLOOR", 0)
    xlsx_reader.read_ahead(damaged)
    with pytest.raises(BookReadError) as ahead:
        xlsx_reader.read_raw_sheets(damaged, ahead=True)
    assert str(ahead.value) == str(direct.value)
    assert main(["validate", "--no-copy", str(damaged)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"错误：{direct.value}"


def test_a_big_book_is_opened_while_its_sheets_are_scanned(
    example_master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from campaign_report.adapters import xlsx_reader

    threads = []
    real = xlsx_reader._open_calamine

    def spy(path: Path) -> object:
        threads.append(threading.current_thread().name)
        return real(path)

    monkeypatch.setattr(xlsx_reader, "_open_calamine", spy)
    plain = xlsx_reader.read_raw_sheets(example_master)
    monkeypatch.setattr(xlsx_reader._Opening, "FLOOR", 0)  # the example counts as big
    early = xlsx_reader.read_raw_sheets(example_master, ahead=True)
    # one book for each thread that parses: neither opens its own
    assert threads[0] == "MainThread" and len(threads) == 1 + xlsx_reader.READ_THREADS
    assert all(name.startswith("open-book") for name in threads[1:])
    assert {n: early[n].rows for n in early} == {n: s.rows for n, s in plain.items()}
    assert xlsx_reader.read_raw_sheets(example_master, engine="openpyxl")  # never opened
    assert len(threads) == 1 + xlsx_reader.READ_THREADS


def _with_sheet_part_changed(source: Path, target: Path, sheet: str, change) -> Path:
    """A copy of ``source`` whose part for ``sheet`` is ``change(xml)``."""
    import zipfile

    from campaign_report.adapters.xlsx_reader import _sheet_parts

    with zipfile.ZipFile(source) as archive:
        book, rels = (archive.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
        part = _sheet_parts("xl/workbook.xml", book, rels)[0][sheet]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                data = archive.read(info.filename)
                out.writestr(info, change(data) if info.filename == part else data)
    return target


def test_a_read_of_some_sheets_checks_those_and_not_the_others(
    example_master: Path, tmp_path: Path
) -> None:
    """A DTD in a sheet no one reads (merge reads the units' sheets only) stops nothing."""

    def with_dtd(xml: bytes) -> bytes:
        return xml.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "e">]>', 1)

    book = _with_sheet_part_changed(example_master, tmp_path / "台账.xlsx", "督查", with_dtd)
    assert set(read_raw_sheets(book, only={"走访", "单位"})) == {"走访", "单位"}
    for only in (None, {"督查"}, {"走访", "督查"}):
        with pytest.raises(BookReadError, match="DTD"):
            read_raw_sheets(book, only=only)


def test_sheets_read_ahead_are_the_sheets_read_one_by_one(example_master: Path) -> None:
    ahead = read_raw_sheets(example_master, ahead=True)
    plain = read_raw_sheets(example_master, engine="calamine")
    assert isinstance(ahead, xlsx_reader.SheetsAhead) and isinstance(plain, dict)
    assert list(ahead) == list(plain) and len(ahead) == len(plain) == 14
    for name in reversed(list(plain)):  # asked for in any order
        assert [list(r) for r in ahead[name].rows] == [list(r) for r in plain[name].rows]
    assert ahead.get("没有这张表") is None and "没有这张表" not in ahead


def test_small_sheets_are_read_ahead_first(example_master: Path, monkeypatch) -> None:
    """Settings and lists are wanted before the records: they must not wait behind them."""
    parsed: list[str] = []
    parse = xlsx_reader.SheetsAhead._parse

    def noting(self, name: str):
        parsed.append(name)
        return parse(self, name)

    sizes = xlsx_reader.inspect(example_master).sheet_sizes
    small = sorted(sizes.values())[-3]  # the two biggest sheets count as big here
    monkeypatch.setattr(xlsx_reader.SheetsAhead, "_parse", noting)
    monkeypatch.setattr(xlsx_reader, "READ_THREADS", 1)
    monkeypatch.setattr(xlsx_reader, "SMALL_SHEET", small)
    sheets = read_raw_sheets(example_master, ahead=True)
    [sheets[name] for name in sheets]
    big = [name for name in sheets if sizes[name] > small]
    assert len(big) == 2 and list(sheets).index(big[0]) < list(sheets).index("选项")
    assert parsed == [n for n in sheets if n not in big] + big  # 选项 before the big ones


def test_a_sheet_that_cannot_be_read_ahead_is_one_chinese_line(
    example_master: Path, tmp_path: Path, capsys
) -> None:
    def cut(xml: bytes) -> bytes:
        return xml[: xml.index(b"<sheetData>") + 200]

    book = _with_sheet_part_changed(example_master, tmp_path / "台账.xlsx", "走访", cut)
    sheets = read_raw_sheets(book, ahead=True)
    assert sheets["活动"].rows  # the other sheets are read
    with pytest.raises(BookReadError, match="无法读取工作簿“台账.xlsx”：文件已损坏"):
        sheets["走访"]
    for command in (["validate", "--no-copy"], ["aggregate"], ["report"]):
        assert main([*command, str(book)]) == 2
        err = capsys.readouterr().err
        assert [line for line in err.splitlines() if line.startswith("错误：")] == [
            line for line in err.splitlines() if "无法读取工作簿" in line
        ]
        assert "Traceback" not in err and "无法读取工作簿“台账.xlsx”" in err


def test_the_scan_inflates_every_part_as_zipfile_does(example_master: Path, tmp_path: Path) -> None:
    """The safety scan inflates parts itself: the bytes must be zipfile's, deflated or stored."""
    import zipfile

    from campaign_report.adapters.xlsx_reader import _inflated

    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(example_master) as src, zipfile.ZipFile(stored, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), zipfile.ZIP_STORED)
    for book in (example_master, stored):
        with zipfile.ZipFile(book) as archive, book.open("rb") as raw:
            infos = archive.infolist()
            assert len(infos) > 10
            for info in infos:
                assert b"".join(_inflated(archive, raw, info)) == archive.read(info), info
    assert read_raw_sheets(stored)["走访"].rows == read_raw_sheets(example_master)["走访"].rows


@pytest.mark.parametrize(
    ("prolog", "refused"),
    [
        (b'?><!-- a note --><?pi x?>\n<!DOCTYPE x [<!ENTITY e "e">]>', True),
        (b"?>" + b"<!-- " + b"x" * 300_000 + b" --><!DOCTYPE x>", True),  # over the size cap
        (b"?><!-- <!DOCTYPE x> is only written in this note -->", False),
        (b"?>\n  ", False),
    ],
)
def test_a_dtd_is_looked_for_before_the_root_element(
    example_master: Path, tmp_path: Path, prolog: bytes, refused: bool
) -> None:
    def changed(xml: bytes) -> bytes:
        return xml.replace(b"?>", prolog, 1)

    book = _with_sheet_part_changed(example_master, tmp_path / "台账.xlsx", "走访", changed)
    if refused:
        with pytest.raises(BookReadError, match="DTD|开头异常"):
            read_raw_sheets(book)
    else:
        assert read_raw_sheets(book)["走访"].rows == read_raw_sheets(example_master)["走访"].rows


def test_books_read_two_at_a_time_come_back_in_order(example_master: Path, tmp_path: Path) -> None:
    broken = tmp_path / "坏的.xlsx"
    broken.write_bytes(b"not a zip")
    paths = [example_master, broken, example_master, tmp_path / "没有.xlsx"]
    with xlsx_reader.reading_each(paths, only={"走访", "单位"}) as found:
        read = list(found)
    assert [path for path, _ in read] == paths
    first, bad, again, missing = (sheets for _, sheets in read)
    assert set(first) == {"走访", "单位"} and first["走访"].rows == again["走访"].rows
    assert isinstance(bad, BookReadError) and "不是 Excel 工作簿" in str(bad)
    assert isinstance(missing, BookReadError) and "找不到文件" in str(missing)


def test_books_not_yet_read_when_the_block_ends_are_never_read(
    example_master: Path, monkeypatch
) -> None:
    started: list[Path] = []
    read = xlsx_reader.read_raw_sheets

    def noting(path, **options):
        started.append(path)
        return read(path, **options)

    monkeypatch.setattr(xlsx_reader, "read_raw_sheets", noting)
    copies = xlsx_reader.reading_each([example_master] * 40)
    with pytest.raises(RuntimeError, match="母本读不了"), copies:
        raise RuntimeError("母本读不了")  # as when the master cannot be read
    assert len(started) < 40


def test_parts_asked_for_come_with_the_sheets_as_the_package_holds_them(
    round_copy: Path, monkeypatch
) -> None:
    import zipfile

    from campaign_report.adapters import xlsx_merge

    names = xlsx_merge.PACKAGE_INFO_PARTS
    book = read_raw_sheets(round_copy, only={"走访"}, keep=names)
    assert set(book) == {"走访"} and book["走访"].rows == read_raw_sheets(round_copy)["走访"].rows
    with zipfile.ZipFile(round_copy) as package:
        assert book.parts == {name: package.read(name) for name in names}
    opened = xlsx_merge.read_package_info(round_copy)
    with monkeypatch.context() as patch:  # the copy is not opened again for its marker
        patch.setattr(xlsx_merge.zipfile, "ZipFile", None)
        assert xlsx_merge.read_package_info(round_copy, book.parts) == opened
    assert opened.marker and opened.saved is not None
    monkeypatch.setattr(xlsx_reader, "KEPT_PART_LIMIT", 100)  # too big to keep: not kept
    assert read_raw_sheets(round_copy, only={"走访"}, keep=names).parts == {}


@pytest.fixture
def round_copy(example_master: Path, tmp_path: Path) -> Path:
    """A unit's copy as split writes it (it carries a marker in docProps/custom.xml)."""
    from campaign_report.steps import split_file

    return split_file(example_master, tmp_path / "copies")[0]
