"""split / merge: each unit's copy, and what merging the copies back gives and lists."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from conftest import sha256

from campaign_report import collect
from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.cli import main
from campaign_report.steps import merge_files, split_file

UNIT = "古市工商所"
OTHER = "城区工商所"


# -- helpers: the files as a reader sees them --


def rows_by_sheet(definition, path: Path) -> dict[str, Counter]:
    """Every unit sheet's records of ``path`` as a multiset of value tuples."""
    raw = read_raw_sheets(path)
    return {
        s.key: Counter(r.values for r in collect.read_table(s, raw[s.name]).rows)
        for s in collect.unit_sheets(definition)
    }


def unit_rows(definition, path: Path, sheet: str, unit: str, others: bool = False) -> Counter:
    """The rows of ``unit`` on ``sheet`` (``others``: the rows of every other unit)."""
    table = collect.read_table(definition.sheet(sheet), read_raw_sheets(path)[_name(sheet)])
    return Counter(r.values for r in table.rows if (r.unit == unit) != others)


def _name(key: str) -> str:
    from campaign_report.definition import load_definition

    return load_definition().sheet(key).name


def set_saved_time(path: Path, when: dt.datetime) -> None:
    """Give a copy the saved time Excel would have written (docProps/core.xml)."""
    book = openpyxl.load_workbook(path)
    book.properties.modified = when
    book.save(path)  # openpyxl stamps "now" on save, so patch the part afterwards
    with zipfile.ZipFile(path) as package:
        parts = {i.filename: package.read(i) for i in package.infolist()}
    core = parts["docProps/core.xml"].decode()
    start = core.index("<dcterms:modified")
    end = core.index("</dcterms:modified>") + len("</dcterms:modified>")
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = core[:start] + f'<dcterms:modified xsi:type="dcterms:W3CDTF" {_XSI}>{stamp}'
    core += "</dcterms:modified>" + core[end:]
    parts["docProps/core.xml"] = core.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


@pytest.fixture(scope="module")
def split_once(tmp_path_factory: pytest.TempPathFactory, example_master: Path) -> Path:
    folder = tmp_path_factory.mktemp("split")
    master = Path(shutil.copy(example_master, folder / "台账.xlsx"))
    split_file(master, folder / "copies")
    return folder


@pytest.fixture
def round_(tmp_path: Path, split_once: Path) -> tuple[Path, Path]:
    """A fresh master and its units' copies, as the office has them after ``split``."""
    master = Path(shutil.copy(split_once / "台账.xlsx", tmp_path / "台账.xlsx"))
    copies = Path(shutil.copytree(split_once / "copies", tmp_path / "各单位报表"))
    return master, copies


def copy_of(copies: Path, unit: str = UNIT) -> Path:
    return copies / f"台账.{unit}.xlsx"


# -- split --


def test_each_unit_gets_a_copy_with_its_own_rows_only(round_, definition) -> None:
    master, copies = round_
    units = [u.name for u in collect.roster(definition, _units(definition, master))]
    assert sorted(p.name for p in copies.iterdir()) == sorted(f"台账.{u}.xlsx" for u in units)
    for sheet in collect.unit_sheets(definition):
        mine = unit_rows(definition, copy_of(copies), sheet.key, UNIT)
        assert mine == unit_rows(definition, master, sheet.key, UNIT), sheet.name
        assert not unit_rows(definition, copy_of(copies), sheet.key, UNIT, True), sheet.name
    assert sum(unit_rows(definition, copy_of(copies), "visits", UNIT).values()) > 0


def test_a_copy_shows_the_office_sheets_protected_and_offers_only_its_unit(round_) -> None:
    _, copies = round_
    book = openpyxl.load_workbook(copy_of(copies))
    for name in ("设置", "单位", "人员", "领导小组"):
        assert book[name].protection.sheet, name
        assert book[name].sheet_state == "visible"
    assert book["设置"]["B2"].value == "解放思想大讨论活动"
    assert book["单位"].max_row == 21  # the whole roster, for the other unit columns' lists
    visits = book["走访"]
    assert not visits.protection.sheet
    unit_col = [c.value for c in visits[1]].index("单位") + 1
    letter = openpyxl.utils.get_column_letter(unit_col)
    lists = [dv for dv in visits.data_validations.dataValidation if letter in str(dv.sqref)]
    assert [dv.formula1 for dv in lists] == [f'"{UNIT}"']
    cells = next(visits.iter_cols(unit_col, unit_col, 2, visits.max_row))
    assert {c.value for c in cells} == {UNIT}  # the unit column is filled in on every row


def test_a_copy_carries_its_marker_and_an_xlsm_master_gives_xlsx_copies(
    tmp_path: Path, definition
) -> None:
    from campaign_report.steps import build_example

    master = build_example(tmp_path / "台账.xlsm", definition)
    written = split_file(master, tmp_path / "out")
    assert all(p.suffix == ".xlsx" for p in written)
    path = tmp_path / "out" / f"台账.{UNIT}.xlsx"
    assert "xl/vbaProject.bin" not in zipfile.ZipFile(path).namelist()
    props = {p.name: p.value for p in openpyxl.load_workbook(path).custom_doc_props.props}
    assert props[collect.MARK_UNIT] == UNIT
    assert props[collect.MARK_CAMPAIGN] == "解放思想大讨论活动"
    assert props[collect.MARK_MASTER] == sha256(master)[:12]
    assert "控制台" not in openpyxl.load_workbook(path).sheetnames


# -- merge --


def test_merging_unedited_copies_gives_back_the_masters_rows(round_, definition) -> None:
    master, copies = round_
    before = sha256(master)
    result, out = merge_files(master, [copies])
    assert sha256(master) == before  # the master is never changed
    assert rows_by_sheet(definition, out) == rows_by_sheet(definition, master)
    assert set(result.check_lines()) == {f"{c.unit}：没有改动" for c in result.used}
    assert not result.skipped and not result.conflicts


def test_edits_in_one_copy_change_that_units_rows_and_nothing_else(
    round_, definition, edit, capsys
) -> None:
    master, copies = round_
    editor = edit(copy_of(copies))
    added = [
        {"走访日期": dt.date(2008, 3, 25), "单位": UNIT, "走访人": "郑健", "对象类别": "企业"}
        | {"对象名称": f"古市镇新办茶厂{n}"}
        for n in range(2)
    ]
    for values in added:
        editor.append("走访", values)
    editor.set("走访", 3, "情况记录", "补记：已帮助办理商标注册")  # one row changed
    editor.book["走访"].delete_rows(2)  # one row deleted
    editor.save()
    assert main(["merge", str(master), str(copies), "--check"]) == 0
    assert f"{UNIT}：走访 +2 −1 改1" in capsys.readouterr().out.splitlines()
    assert not list(master.parent.glob("*.合并.xlsx"))  # --check writes nothing

    result, out = merge_files(master, [copies])
    change = result.changes[(UNIT, "visits")]
    assert (change.added, change.deleted, change.modified) == (2, 1, 1)
    for sheet in collect.unit_sheets(definition):
        others = unit_rows(definition, out, sheet.key, UNIT, others=True)
        assert others == unit_rows(definition, master, sheet.key, UNIT, others=True), sheet.name
        mine = unit_rows(definition, out, sheet.key, UNIT)
        assert mine == unit_rows(definition, copy_of(copies), sheet.key, UNIT), sheet.name
    before = sum(rows_by_sheet(definition, master)["visits"].values())
    after = sum(rows_by_sheet(definition, out)["visits"].values())
    assert after == before + change.added - change.deleted


def test_each_merged_row_names_the_file_and_row_it_came_from(round_, edit) -> None:
    master, copies = round_
    editor = edit(copy_of(copies))
    row = editor.append(
        "走访", {"走访日期": "3月26日", "单位": UNIT, "走访人": "郑健", "对象类别": "村"}
    )
    cell = editor.book["走访"].cell(row, editor.col("走访", "对象名称"), "=古市镇新村")
    cell.data_type = "s"  # text that looks like a formula, as Excel keeps it after a '
    editor.save()
    _, out = merge_files(master, [copies])
    visits = openpyxl.load_workbook(out)["走访"]
    headers = [c.value for c in visits[1]]
    assert headers[-1] == collect.SOURCE_HEADER
    name = headers.index("对象名称")
    found = [r for r in visits.iter_rows(min_row=2) if r[name].value == "=古市镇新村"]
    assert len(found) == 1
    assert found[0][headers.index("对象名称")].data_type == "s"  # kept as text, not a formula
    assert found[0][-1].value == f"{UNIT}：台账.{UNIT}.xlsx 第{row}行"
    table = next(iter(visits.tables.values()))
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{visits.max_row}"
    assert [c.name for c in table.tableColumns][-1] == collect.SOURCE_HEADER
    assert found[0][0].row <= visits.max_row


def test_a_copy_sent_twice_the_newer_wins_and_the_older_is_listed(round_, definition, edit) -> None:
    master, copies = round_
    older = Path(shutil.copy(copy_of(copies), copies / "古市所第一次报的.xlsx"))
    editor = edit(copy_of(copies))
    editor.append("金点子", {"推荐单位": UNIT, "金点子题目": "茶叶品牌一村一品"})
    editor.save()
    set_saved_time(older, dt.datetime(2008, 3, 20, 9, 0))
    set_saved_time(copy_of(copies), dt.datetime(2008, 3, 28, 9, 0))
    os.utime(older, (2e9, 2e9))  # a newer file time must not beat the saved time
    result, out = merge_files(master, [copies])
    assert [c.name for c in result.used if c.unit == UNIT] == [copy_of(copies).name]
    assert [(s.path.name, "较旧" in s.reason) for s in result.skipped] == [(older.name, True)]
    ideas = unit_rows(definition, out, "ideas", UNIT)
    assert sum(ideas.values()) == sum(unit_rows(definition, master, "ideas", UNIT).values()) + 1
    log = openpyxl.load_workbook(out)[collect.LOG_SHEET]
    texts = [c.value for row in log.iter_rows() for c in row if c.value]
    assert older.name in texts


def test_a_tie_in_saved_time_goes_to_the_newer_file(round_) -> None:
    master, copies = round_
    twin = Path(shutil.copy(copy_of(copies), copies / "又发了一次.xlsx"))
    os.utime(copy_of(copies), (1e9, 1e9))
    os.utime(twin, (2e9, 2e9))
    result, _ = merge_files(master, [copies], check=True)
    assert [c.name for c in result.used if c.unit == UNIT] == [twin.name]
    assert [s.path.name for s in result.skipped] == [copy_of(copies).name]


def test_a_renamed_copy_is_known_by_its_marker(round_, definition, edit) -> None:
    master, copies = round_
    renamed = copy_of(copies).rename(copies / "郑健 填好的 (2).xlsx")
    editor = edit(renamed)
    editor.append("金点子", {"推荐单位": UNIT, "金点子题目": "个私协会进村入企"})
    editor.save()
    result, out = merge_files(master, [copies])
    assert [c.name for c in result.used if c.unit == UNIT] == [renamed.name]
    assert f"{UNIT}：金点子 +1" in result.check_lines()
    assert UNIT not in collect.late_units(result.late)


def test_a_copy_of_an_older_template_merges_with_warnings(round_, definition) -> None:
    master, copies = round_
    path = copy_of(copies)
    book = openpyxl.load_workbook(path)
    visits = book["走访"]
    headers = [c.value for c in visits[1]]
    notes_col = headers.index("情况记录") + 1
    visits.delete_cols(notes_col)  # the older template had no 情况记录
    a, b = headers.index("对象类别") + 1, headers.index("对象名称") + 1
    for row in visits.iter_rows(min_row=1, max_row=visits.max_row):
        row[a - 1].value, row[b - 1].value = row[b - 1].value, row[a - 1].value  # and moved columns
    visits.tables.clear()
    book.save(path)
    result, out = merge_files(master, [copies])
    assert result.changes[(UNIT, "visits")].any is False  # same records, other columns
    notes = [n for f, n in result.warnings if f == path.name]
    assert any("缺少列“情况记录”" in n for n in notes)
    assert rows_by_sheet(definition, out)["visits"] == rows_by_sheet(definition, master)["visits"]


def test_rows_naming_another_unit_are_kept_and_listed(round_, definition, edit) -> None:
    master, copies = round_
    editor = edit(copy_of(copies))
    row = editor.append(
        "走访",
        {"走访日期": dt.date(2008, 3, 27), "单位": OTHER, "走访人": "郑健", "对象类别": "企业"}
        | {"对象名称": "联合走访的企业"},
    )
    editor.save()
    result, out = merge_files(master, [copies])
    assert [(c.sheet, c.row, c.named, c.unit) for c in result.conflicts] == [
        ("走访", row, OTHER, UNIT)
    ]
    theirs = unit_rows(definition, out, "visits", OTHER)
    assert sum(theirs.values()) == sum(unit_rows(definition, master, "visits", OTHER).values()) + 1
    assert any(v[4] == "联合走访的企业" for v in theirs)
    assert "1行写的是其他单位" in result.summary_line()


def test_an_unreadable_copy_is_one_line_and_the_merge_goes_on(round_, definition, capsys) -> None:
    master, copies = round_
    (copies / "坏的.xlsx").write_bytes(b"not a workbook at all")
    (copies / "~$台账.古市工商所.xlsx").write_bytes(b"Excel's lock file")
    out = master.parent / "合并.xlsx"
    assert main(["merge", str(master), str(copies), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    skipped = [line for line in printed.out.splitlines() if line.startswith("跳过：")]
    assert len(skipped) == 1 and skipped[0].startswith("跳过：坏的.xlsx：")
    assert "Traceback" not in printed.err
    assert rows_by_sheet(definition, out) == rows_by_sheet(definition, master)


def test_a_workbook_that_is_no_copy_is_skipped(round_, definition) -> None:
    master, copies = round_
    shutil.copy(master, copies / "办公室自己的台账.xlsx")  # every unit's rows, no marker
    result, _ = merge_files(master, [copies], check=True)
    assert [s.path.name for s in result.skipped] == ["办公室自己的台账.xlsx"]
    assert "没有分发标记" in result.skipped[0].reason


def test_the_log_sheet_lists_who_is_late(round_, definition) -> None:
    master, copies = round_
    copy_of(copies, "新兴工商所").unlink()
    emptied = copy_of(copies, "象溪工商所")
    book = openpyxl.load_workbook(emptied)
    book["走访"].delete_rows(2, book["走访"].max_row)
    book.save(emptied)
    result, out = merge_files(master, [copies])
    assert ("新兴工商所", "未交副本") in result.late
    assert ("象溪工商所", "“走访”表没有填写") in result.late
    assert "催报：新兴工商所、象溪工商所" in result.summary_line()
    log = openpyxl.load_workbook(out)[collect.LOG_SHEET]
    assert log.title == openpyxl.load_workbook(out).sheetnames[0]
    cells = [[c.value for c in row] for row in log.iter_rows()]
    titles = [row[0] for row in cells if row and row[0]]
    for title in ("使用的副本", "跳过的副本", "提示", "催报"):
        assert title in titles
    used = cells[titles.index("使用的副本") and [r[0] for r in cells].index("使用的副本") + 1]
    assert used[:3] == ["单位", "文件", "保存时间"] and "走访（行）" in used
    assert ["新兴工商所", "未交副本"] in [r[:2] for r in cells]
    assert unit_rows(definition, out, "visits", "象溪工商所") == Counter()


def test_a_merged_book_validates_and_names_each_issues_file(round_, edit, capsys) -> None:
    master, copies = round_
    editor = edit(copy_of(copies))
    row = editor.append(
        "走访", {"走访日期": "3月45日", "单位": UNIT, "走访人": "郑健", "对象类别": "企业"}
    )
    editor.set("走访", row, "对象名称", "古市镇某厂")
    editor.save()
    _, out = merge_files(master, [copies])
    assert main(["validate", str(out), "--no-copy"]) == 1
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if "3月45日" in line)
    assert f"台账.{UNIT}.xlsx 第{row}行" in line


def _units(definition, path: Path):
    return collect.read_table(definition.sheet("units"), read_raw_sheets(path)["单位"])


def test_the_demo_round_moves_the_reports_figures(
    tmp_path: Path, example_master: Path, definition
) -> None:
    import docx

    from campaign_report.aggregate import aggregate
    from campaign_report.steps import demo_round, open_book, report_file

    master = Path(shutil.copy(example_master, tmp_path / "示例台账.xlsx"))
    merged = demo_round(master, tmp_path / collect.COPIES_FOLDER, definition)["合并后的台账"]
    before, after = aggregate(open_book(master)).facts, aggregate(open_book(merged)).facts
    assert after["visits"]["rows"] == before["visits"]["rows"] + 2
    assert after["ideas"]["units_with_ideas"] == before["ideas"]["units_with_ideas"] - 1
    assert after["ideas"]["count"] < before["ideas"]["count"]
    log = openpyxl.load_workbook(merged)[collect.LOG_SHEET]
    late = [row[0].value for row in log.iter_rows() if row[1].value == "“金点子”表没有填写"]
    assert len(late) == 1

    def text(book: Path) -> str:
        path = report_file(book, tmp_path / f"{book.stem}.docx")["报告"]
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)

    assert "每个单位都推荐了至少一个" in text(master)
    ideas = after["ideas"]
    assert f"{ideas['units_with_ideas']}个单位共推荐了{ideas['count']}个" in text(merged)


def _with_sources(path: Path) -> dict[str, Counter]:
    """Each unit sheet's rows with their 合并来源, as a reader sees the file."""
    book = openpyxl.load_workbook(path, read_only=True)
    found = {}
    for name in (
        "活动",
        "走访",
        "意见建议",
        "征求意见表",
        "金点子",
        "心得体会",
        "实事项目",
        "督查",
    ):
        rows = [tuple(r) for r in book[name].iter_rows(values_only=True)]
        found[name] = Counter(r for r in rows[1:] if any(v is not None for v in r))
    return found


def test_both_writers_give_the_same_book(round_, edit, monkeypatch) -> None:
    from campaign_report.adapters import xlsx_parts

    master, copies = round_
    editor = edit(copy_of(copies))
    editor.append("走访", {"走访日期": "3月25日", "单位": UNIT, "走访人": "郑健", "对象类别": "村"})
    editor.set("走访", 2, "情况记录", "改过")
    editor.save()
    _, fast = merge_files(master, [copies], out=master.parent / "快.xlsx")
    with zipfile.ZipFile(master) as before, zipfile.ZipFile(fast) as after:
        same = {n for n in before.namelist() if before.read(n) == after.read(n)}
    assert {"xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet3.xml"} <= same
    monkeypatch.setattr(xlsx_parts, "write", lambda *args: None)
    _, slow = merge_files(master, [copies], out=master.parent / "慢.xlsx")
    with zipfile.ZipFile(master) as before, zipfile.ZipFile(slow) as after:
        assert after.read("xl/styles.xml") != before.read("xl/styles.xml")  # openpyxl wrote it
    assert _with_sources(fast) == _with_sources(slow)
    fast_book, slow_book = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert fast_book.sheetnames == slow_book.sheetnames
    assert fast_book.sheetnames[0] == collect.LOG_SHEET
    assert fast_book["走访"].tables["T_visits"].ref == slow_book["走访"].tables["T_visits"].ref


def test_libreoffice_reads_the_merged_book_as_written(round_, tmp_path: Path) -> None:
    from conftest import soffice_convert

    master, copies = round_
    _, out = merge_files(master, [copies])
    converted = soffice_convert(out, tmp_path / "lo", "ods")
    ours, theirs = read_raw_sheets(out), None
    from python_calamine import CalamineWorkbook

    theirs = CalamineWorkbook.from_path(str(converted))
    for name in ("走访", collect.LOG_SHEET):
        rows = theirs.get_sheet_by_name(name).to_python(skip_empty_area=False)
        expected = [[v for v in r] for r in ours[name].rows]
        assert len(rows) == len(expected), name
        assert [r[0] for r in rows] == [("" if r[0] is None else r[0]) for r in expected], name


def test_a_master_with_formulas_in_its_rows_is_merged_by_openpyxl(round_, edit) -> None:
    master, copies = round_
    editor = edit(master)
    row = editor.find("走访", "单位", OTHER)
    editor.set("走访", row, "情况记录", f'=CONCATENATE("见",B{row})')
    editor.save()
    copy_of(copies, OTHER).unlink()  # its rows stay the master's, formula and all
    editor = edit(copy_of(copies))
    editor.book["走访"].insert_rows(2)  # every 古市 row moves down one in the master too
    editor.set("走访", 2, "走访日期", dt.date(2008, 3, 20))
    for header, value in (
        ("单位", UNIT),
        ("走访人", "郑健"),
        ("对象类别", "村"),
        ("对象名称", "新村"),
    ):
        editor.set("走访", 2, header, value)
    editor.save()
    _, out = merge_files(master, [copies])
    visits = openpyxl.load_workbook(out)["走访"]
    col = [c.value for c in visits[1]].index("情况记录") + 1
    formulas = [(c.row, c.value) for c in visits.iter_rows(min_col=col, max_col=col) for c in c]
    moved = [(r, v) for r, v in formulas if isinstance(v, str) and v.startswith("=CONCATENATE")]
    assert len(moved) == 1
    new_row, formula = moved[0]
    assert formula == f'=CONCATENATE("见",B{new_row})'  # its reference moved with it
    assert visits.cell(new_row, 2).value == OTHER


def test_a_copy_saved_by_libreoffice_keeps_its_marker(round_, tmp_path: Path) -> None:
    from conftest import soffice_convert

    master, copies = round_
    saved = soffice_convert(copy_of(copies), tmp_path / "lo", "xlsx")  # opened and saved again
    copy_of(copies).unlink()
    renamed = Path(shutil.move(saved, copies / "从LibreOffice另存的.xlsx"))
    result, _ = merge_files(master, [copies], check=True)
    assert [c.name for c in result.used if c.unit == UNIT] == [renamed.name]
    assert f"{UNIT}：没有改动" in result.check_lines()
