"""The report as LibreOffice lays it out: GB/T 9704 on the last page, tables that read.

The .docx is rendered to PDF and read back with pdfplumber: page count, the 版记's rules (drawn
lines, found as horizontal strokes spanning the type area), text positions and page numbers.
The rules are measured directly; text lines stand in for the date line and table cells.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import docx
import pytest
from conftest import soffice_convert

from campaign_report import docx_writer, page_estimate, page_fit
from campaign_report.adapters import pdf_layout
from campaign_report.aggregate import aggregate
from campaign_report.document import Document, Paragraph
from campaign_report.docx_writer import fit_layout, write_docx
from campaign_report.report import render_document
from campaign_report.steps import open_book, report_file

pdfplumber = pytest.importorskip("pdfplumber")

MM = 72 / 25.4  # points a millimetre
TYPE_TOP = docx_writer.MARGIN_TOP / 20  # 104.9 pt from the page top
TYPE_BOTTOM = (docx_writer.MARGIN_TOP + docx_writer.TYPE_HEIGHT) / 20  # 742.7 pt
TYPE_WIDTH = docx_writer.TYPE_WIDTH / 20  # 442.2 pt
PAGE_NUMBER = re.compile(r"^—\s*\d+\s*—$")


def squeeze(text: str) -> str:
    return "".join(text.split())


def text_lines(page) -> list[dict]:
    return page.extract_text_lines(return_chars=False)


def rules(page) -> list[float]:
    """Vertical positions (bottom edges) of horizontal strokes as wide as the type area."""
    found = [
        line["bottom"]
        for line in page.lines
        if abs(line["top"] - line["bottom"]) < 2 and line["x1"] - line["x0"] > 0.95 * TYPE_WIDTH
    ]
    found += [
        rect["bottom"]
        for rect in page.rects
        if rect["height"] < 2 and rect["width"] > 0.95 * TYPE_WIDTH
    ]
    return found


def numbered(page) -> bool:
    return any(
        PAGE_NUMBER.match(line["text"].strip()) and line["top"] > TYPE_BOTTOM
        for line in text_lines(page)
    )


def assert_closing_follows_the_standard(pdf_path: Path, document: Document) -> None:
    """Even page count; last rule on the type area's bottom edge; the date with body text;
    page numbers on every page with body text and on no page after it."""
    with pdfplumber.open(pdf_path) as pdf:
        pages = pdf.pages
        assert len(pages) % 2 == 0, f"{len(pages)} pages"
        last_rules = rules(pages[-1])
        assert last_rules, "no 版记 rule on the last page"
        assert abs(max(last_rules) - TYPE_BOTTOM) <= 5 * MM, (max(last_rules), TYPE_BOTTOM)

        date, signature = squeeze(document.date_line), squeeze(document.signature)
        found = [
            (index, line)
            for index, page in enumerate(pages)
            for line in text_lines(page)
            if squeeze(line["text"]) == date
        ]
        assert found, "date line not found"
        date_page, date_box = found[-1]
        body_above = [
            line
            for line in text_lines(pages[date_page])
            if TYPE_TOP - 5 <= line["top"] < date_box["top"] - 1
            and squeeze(line["text"]) != signature
        ]
        assert body_above, f"the date stands without body text on page {date_page + 1}"
        for index, page in enumerate(pages):
            # Pages up to the date's hold body text and are numbered; a blank page and a page
            # holding only the 版记 are not (§7.5).
            assert numbered(page) == (index <= date_page), f"page {index + 1}"


# --- The example's report ------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_report(example_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not pdf_layout.available():
        pytest.skip("LibreOffice and pdftotext are needed to fit the closing block")
    out = tmp_path_factory.mktemp("layout") / "工作总结.docx"
    report_file(example_master, out, markdown=True)
    return out


@pytest.fixture(scope="module")
def example_pdf(example_report: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return soffice_convert(example_report, tmp_path_factory.mktemp("layout-pdf"))


def example_document(report: Path) -> Document:
    """The date line and signature as the .docx holds them (what the test looks for)."""
    word = docx.Document(str(report))
    closing = [p.text for p in word.paragraphs if p.style.name == docx_writer.CLOSING and p.text]
    signature, date_line = closing if len(closing) == 2 else ("", closing[-1])
    return Document(
        title="", blocks=(), date_line=date_line, issuer="", issue_date="", signature=signature
    )


def test_example_report_closing_follows_the_standard(example_report: Path, example_pdf: Path):
    assert_closing_follows_the_standard(example_pdf, example_document(example_report))


def test_example_report_has_the_signature_above_the_date(example_report: Path) -> None:
    document = example_document(example_report)
    # 发文机关署名 is blank in the example's 设置, so it is the 单位全称.
    assert document.signature == "松阳县工商行政管理局"
    assert document.date_line == "二〇〇八年四月七日"


def test_no_table_cell_holding_a_name_or_a_date_wraps(example_report: Path, example_pdf: Path):
    word = docx.Document(str(example_report))
    with pdfplumber.open(example_pdf) as pdf:
        rendered = [squeeze(line["text"]) for page in pdf.pages for line in text_lines(page)]
    checked = 0
    for table in word.tables:
        rows = [[cell.text.replace("\n", "") for cell in row.cells] for row in table.rows]
        _, running_text = docx_writer.column_widths(rows)
        for row in rows:
            for col, value in enumerate(row):
                if col in running_text:
                    continue
                for item in value.split(docx_writer.LIST_SEPARATOR):
                    # A whole name, unit or date sits on one rendered line.
                    assert any(squeeze(item) in line for line in rendered), item
                    checked += 1
    assert checked > 50  # names, units, dates, 序号 and headers of both tables


def test_example_report_punctuation_and_dates(example_report: Path) -> None:
    word = docx.Document(str(example_report))
    texts = [p.text for p in word.paragraphs]
    texts += [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    cjk = "\u4e00-\u9fff"
    for text in texts:
        assert not re.search(rf"[{cjk}][(),;:?!]|[(][{cjk}]", text), text
    document = "\n".join(texts)
    # 落款日期写法 is 汉字 in the example: no date of the closing block in Arabic digits.
    assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日", document)
    assert "二〇〇八年四月七日印发" in document
    markdown = example_report.with_suffix(".md").read_text(encoding="utf-8")
    issued = [line for line in markdown.splitlines() if "印发" in line]
    assert issued and issued[-1].endswith("二〇〇八年四月七日印发")


# --- Synthetic bodies: every placement of the closing block -----------------------------------


def synthetic(full_lines: int, last_lines: int = 1) -> Document:
    """A body of ``full_lines`` one-line paragraphs, then one of ``last_lines`` lines.

    26 characters after the two-character indent fill a line of 28 exactly.
    """
    blocks = [Paragraph("甲" * 26) for _ in range(full_lines)]
    blocks.append(Paragraph("乙" * (26 + 28 * (last_lines - 1))))
    return Document(
        title="关于测试的工作总结",
        addressee="各单位",
        blocks=tuple(blocks),
        date_line="2008年4月7日",
        signature="某某县某某局",
        issuer="某某县某某局办公室",
        issue_date="2008年4月7日",
        copy_to=("甲局", "乙局"),
    )


# (one-line paragraphs, lines of the last paragraph) -> what the fitting must have done. Page 1
# holds the title, a blank line, the addressee and 19 body lines; page 2 holds 22.
CASES = {
    (2, 1): "date on page 1 (odd): 版记 alone on page 2",
    (20, 1): "date on page 2 (even) with room: 版记 at its foot",
    (36, 1): "date at the foot of page 2 (even): blank page 3, 版记 on page 4",
    (38, 1): "body ends on line 20: drop the blank line above the 署名",
    (37, 3): "body fills page 2: its last two lines move to page 3 with the date",
    (39, 1): "body fills page 2 with a one-line paragraph: it moves with the date",
}


@pytest.fixture(scope="module")
def measured() -> None:
    if not (pdf_layout.available() and shutil.which("soffice")):
        pytest.skip("LibreOffice and pdftotext are needed to fit the closing block")


@pytest.mark.parametrize(("lines", "case"), CASES.items(), ids=list(CASES.values()))
def test_closing_fits_any_body_length(measured, tmp_path: Path, lines, case) -> None:
    document = synthetic(*lines)
    layout = fit_layout(document, pdf_layout.measure_docx)
    expected = {
        (2, 1): dict(imprint=page_fit.OWN_PAGE),
        (20, 1): dict(imprint=page_fit.FLOW),
        (36, 1): dict(imprint=page_fit.BLANK_PAGE, blank_before_signature=True),
        (38, 1): dict(blank_before_signature=False, tail=""),
        (37, 3): dict(tail="乙" * 56),
        (39, 1): dict(tail="乙" * 26),
    }[lines]
    assert {key: getattr(layout, key) for key in expected} == expected, case
    path = write_docx(document, tmp_path / "总结.docx", layout=layout)
    assert_closing_follows_the_standard(pdf_layout.render_pdf(path, tmp_path), document)


def test_trial_layouts_rendered_together_measure_as_one_by_one(measured) -> None:
    """The odd-page and full-page trials rendered with the first are the same measurements
    that one render each gives: the fitted layout is the same, with one LibreOffice start."""
    document = synthetic(36, 1)  # the date at the foot of page 2: a second trial is needed
    starts: list[int] = []

    def one_by_one(path: Path):
        starts.append(1)
        return pdf_layout.measure_docx(path)

    def together(paths: list[Path]):
        starts.append(len(paths))
        return pdf_layout.measure_many(paths)

    alone = fit_layout(document, one_by_one)
    assert len(starts) == 2
    one_by_one.many = together  # type: ignore[attr-defined]
    starts.clear()
    assert fit_layout(document, one_by_one) == alone
    assert starts == [3]  # flow, own page, blank page: the blank page was the one needed


# Counting says which 版记 layouts to render with the first trial (see page_fit's CASES).
TRIALS_BY_COUNT = {
    (2, 1): [page_fit.OWN_PAGE],  # date mid-page 1 (odd)
    (25, 1): [],  # mid-page 2 (even), room for the 版记 below it
    (33, 1): [page_fit.BLANK_PAGE],  # low on page 2: the 版记 may not fit below
    (36, 1): [page_fit.OWN_PAGE, page_fit.BLANK_PAGE],  # at the foot: the page may change
    (14, 1): [page_fit.OWN_PAGE, page_fit.BLANK_PAGE],  # near the foot of page 1
}


@pytest.mark.parametrize(("lines", "trials"), TRIALS_BY_COUNT.items())
def test_the_trials_rendered_first_are_chosen_by_counting(lines, trials) -> None:
    assert page_estimate.imprints_to_try(synthetic(*lines), page_fit.Layout()) == trials


def _fit_counting_starts(document) -> tuple[object, object, list[int]]:
    """The layout fitted one by one, the one fitted with trials together, and the documents
    each LibreOffice start of the latter rendered."""
    starts: list[int] = []

    def one_by_one(path: Path):
        return pdf_layout.measure_docx(path)

    def together(paths: list[Path]):
        starts.append(len(paths))
        return pdf_layout.measure_many(paths)

    alone = fit_layout(document, one_by_one)
    one_by_one.many = together  # type: ignore[attr-defined]
    return alone, fit_layout(document, one_by_one), starts


# Documents rendered at the one LibreOffice start: on an odd page only the own-page layout
# (the flowing one would only be moved there), mid-page 2 only the flowing one, low on page 2
# the flowing one and the blank-page one.
DOCUMENTS_BY_COUNT = {(2, 1): 1, (25, 1): 1, (33, 1): 2}


@pytest.mark.parametrize("lines", DOCUMENTS_BY_COUNT)
def test_trials_chosen_by_counting_fit_as_one_by_one_with_one_start(measured, lines) -> None:
    """Fewer trials (each costs LibreOffice a quarter second), the same layout, one start."""
    alone, together, starts = _fit_counting_starts(synthetic(*lines))
    assert together == alone
    assert starts == [DOCUMENTS_BY_COUNT[lines]]


def test_a_wrong_count_of_an_odd_page_falls_back_to_the_flowing_start(
    measured, monkeypatch
) -> None:
    """Counting says odd page, the measurement says page 2: the own-page layout is not taken;
    the flowing one is measured as usual and the fitted layout is the same as one by one."""
    from campaign_report import page_estimate as estimate

    monkeypatch.setattr(estimate, "imprints_to_try", lambda document, layout: [page_fit.OWN_PAGE])
    alone, together, starts = _fit_counting_starts(synthetic(25, 1))  # date mid-page 2
    assert alone.imprint == page_fit.FLOW
    assert together == alone
    assert starts == [1, 1]  # the own-page layout alone, then the flowing one


@pytest.mark.parametrize(
    ("lines", "odd"), [((2, 1), True), ((14, 1), False), ((25, 1), False), ((45, 1), True)]
)
def test_an_odd_date_page_is_sure_only_well_inside_the_page(lines, odd) -> None:
    """Only then is the own-page layout the one trial: fit_layout then measures it first."""
    trials = page_estimate.imprints_to_try(synthetic(*lines), page_fit.Layout())
    assert (trials == [page_fit.OWN_PAGE]) is odd


# --- Without LibreOffice: the date page counted ------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "page"),
    [
        # Page 1: title, blank line, addressee, then 19 body lines; page 2: 22 lines.
        ((2, 1), 1),  # 3 body lines, then blank line, 署名 and date on page 1
        ((20, 1), 2),  # 21 body lines: 2 on page 2, the closing below them
        ((36, 1), 2),  # 37: 18 on page 2, closing on lines 19-21
        ((38, 1), 3),  # 39: 20 on page 2, the three closing lines do not fit
    ],
)
def test_counted_date_page(lines, page) -> None:
    assert page_estimate.date_page(synthetic(*lines), page_fit.Layout()) == page


def test_unmeasured_report_puts_the_imprint_on_an_even_page_by_count(tmp_path: Path) -> None:
    # Date counted on page 2 (even): a blank page, then the 版记's page, both unnumbered.
    path = write_docx(synthetic(20, 1), tmp_path / "a.docx", measure=lambda _: None)
    word = docx.Document(str(path))
    assert len(word.sections) == 2
    spaces = [p for p in word.paragraphs if p.style.name == docx_writer.IMPRINT_SPACE]
    assert len(spaces) == 2  # the blank page's paragraph, then the space above the 版记
    assert spaces[1].paragraph_format.page_break_before is True
    # Date counted on page 1 (odd): the 版记 goes straight onto page 2.
    path = write_docx(synthetic(2, 1), tmp_path / "b.docx", measure=lambda _: None)
    spaces = [
        p for p in docx.Document(str(path)).paragraphs if p.style.name == docx_writer.IMPRINT_SPACE
    ]
    assert len(spaces) == 1 and not spaces[0].paragraph_format.page_break_before


def test_counted_date_page_matches_the_rendered_example(
    example_master: Path, example_report: Path, example_pdf: Path
) -> None:
    book = open_book(example_master)
    counted = page_estimate.date_page(render_document(book, aggregate(book)), page_fit.Layout())
    date = example_document(example_report).date_line
    with pdfplumber.open(example_pdf) as pdf:
        pages = [
            number
            for number, page in enumerate(pdf.pages, start=1)
            if any(squeeze(line["text"]) == date for line in text_lines(page))
        ]
    assert counted == pages[-1]


def test_signature_setting_overrides_the_organisation(example: Path, edit) -> None:
    editor = edit(example)
    row = editor.find("设置", "项目", "发文机关署名")
    assert editor.book["设置"].cell(row, 2).value is None  # blank in the example
    editor.book["设置"].cell(row, 2).value = "中共某某局委员会"
    editor.book["设置"].cell(editor.find("设置", "项目", "落款日期写法"), 2).value = "阿拉伯数字"
    book = open_book(editor.save())
    document = render_document(book, aggregate(book))
    assert document.signature == "中共某某局委员会"
    # One date style: the 印发 date follows the date line's.
    assert document.date_line == document.issue_date == "2008年4月7日"
