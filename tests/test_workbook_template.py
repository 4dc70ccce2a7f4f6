"""`campaign-report new` and `schema --json`: the template comes from the definition."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from conftest import soffice_convert

from campaign_report.adapters.xlsx_template import (
    INSTRUCTIONS_SHEET,
    UNIT_LIST_NAME,
    list_range_name,
)
from campaign_report.cli import main
from campaign_report.definition import Definition
from campaign_report.model import LISTS_SHEET


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template") / "模板.xlsx"
    assert main(["new", str(out)]) == 0
    return out


def test_schema_json_lists_every_sheet_and_column(capsys, definition: Definition) -> None:
    assert main(["schema", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["sheets"]] == [s.name for s in definition.sheets]
    visits = next(s for s in data["sheets"] if s["key"] == "visits")
    target = next(c for c in visits["columns"] if c["key"] == "target_kind")
    assert (
        target["header"] == "对象类别" and target["type"] == "choice" and target["required"] is True
    )
    assert "企业" in target["choices"]


def test_template_has_a_sheet_per_definition_sheet(template: Path, definition: Definition) -> None:
    book = openpyxl.load_workbook(template)
    names = [INSTRUCTIONS_SHEET, *(s.name for s in definition.sheets), LISTS_SHEET]
    assert book.sheetnames == names


def test_each_table_sheet_is_an_excel_table_with_frozen_styled_headers(
    template: Path, definition: Definition
) -> None:
    book = openpyxl.load_workbook(template)
    for sheet in definition.tables:
        ws = book[sheet.name]
        assert ws.freeze_panes == "A2", sheet.name
        tables = list(ws.tables.values())
        assert len(tables) == 1
        headers = [c.value for c in ws[1]][: len(sheet.columns)]
        assert headers == [c.header for c in sheet.columns]
        assert tables[0].ref.startswith("A1:")
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")


def _validations(ws) -> dict[str, object]:
    """First column letter of each validation's range -> the validation."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        first = str(dv.sqref).split(":")[0]
        found["".join(ch for ch in first if ch.isalpha())] = dv
    return found


def test_dropdowns_for_choices_and_units_dates_validated(
    template: Path, definition: Definition
) -> None:
    book = openpyxl.load_workbook(template)
    for sheet in definition.tables:
        rules = _validations(book[sheet.name])
        for index, column in enumerate(sheet.columns):
            letter = openpyxl.utils.get_column_letter(index + 1)
            dv = rules[letter]
            assert dv.promptTitle == column.header[:32] and dv.prompt == column.help
            if column.type == "choice" and column.list:  # the list's rows on the 选项 sheet
                assert (dv.type, dv.formula1) == ("list", list_range_name(column.list))
                assert (dv.errorStyle or "stop") == ("stop" if column.closed else "information")
            elif column.type == "choice":
                assert dv.type == "list"
                assert dv.formula1.strip('"').split(",") == list(column.choices)
            elif column.type == "unit":
                assert (dv.type, dv.formula1) == ("list", UNIT_LIST_NAME), (
                    sheet.name,
                    column.header,
                )
            elif column.type == "date":
                assert dv.type == "date"


def test_unit_list_grows_with_the_roster(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    formula = book.defined_names[UNIT_LIST_NAME].attr_text
    assert formula.startswith("OFFSET('单位'!$A$2") and "COUNTA('单位'!$A:$A)" in formula


def test_instructions_come_from_the_help_texts(template: Path, definition: Definition) -> None:
    ws = openpyxl.load_workbook(template)[INSTRUCTIONS_SHEET]
    text = {str(c.value) for row in ws.iter_rows() for c in row if c.value}
    for sheet in definition.sheets:
        assert sheet.name in text and sheet.help in text
        for column in sheet.columns:
            assert column.help in text


def test_template_opens_in_libreoffice(template: Path, tmp_path: Path) -> None:
    pdf = soffice_convert(template, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_new_refuses_a_wrong_extension(tmp_path: Path, capsys) -> None:
    assert main(["new", str(tmp_path / "x.docx")]) == 2
    assert "应以 .xlsx 或 .xlsm 结尾" in capsys.readouterr().err


def test_settings_rows_are_as_tall_as_their_text(example_master: Path, definition) -> None:
    # LibreOffice keeps a row at its stored height; a 说明 or a 内容 taller than its row spills
    # over the next one. Each row holds its wrapped lines: a Chinese character takes two width
    # units of the column, a typed line break starts a new line, 15 points a line.
    sheet = openpyxl.load_workbook(example_master)[definition.sheet("settings").name]
    widths = {col: sheet.column_dimensions[col].width for col in "BC"}
    tall = 0
    for row in range(2, sheet.max_row + 1):
        lines = 1
        for col in "BC":
            value = sheet[f"{col}{row}"].value
            if isinstance(value, str):
                units = [sum(2 if ord(c) > 255 else 1 for c in part) for part in value.split("\n")]
                lines = max(lines, sum(max(1, -(-u // int(widths[col]))) for u in units))
        height = sheet.row_dimensions[row].height or 15
        assert height >= 15 * lines, (sheet[f"A{row}"].value, height, lines)
        tall += lines > 1
    assert tall >= 5  # the example's long paragraphs and 说明 do wrap


def test_the_lists_sheet_holds_every_list_and_its_names_cover_its_rows(
    template: Path, definition: Definition
) -> None:
    book = openpyxl.load_workbook(template)
    rows = [[c.value for c in r] for r in book[LISTS_SHEET].iter_rows()]
    headers = rows[0]
    for name, choice_list in definition.lists.items():
        mine = [r for r in rows[1:] if r[0] == name]
        assert [r[1] for r in mine] == list(choice_list.values), name
        for header in choice_list.extra_headers:
            column = headers.index(header)
            assert [r[column] or "" for r in mine] == [
                choice_list.extra(v, header) for v in choice_list.values
            ]
        formula = book.defined_names[list_range_name(name)].attr_text
        assert (
            f'MATCH("{name}"' in formula and f"COUNTIF('{LISTS_SHEET}'!$A:$A,\"{name}\")" in formula
        )
