"""Tests for campaign_report.docx_writer: the saved .docx, read back and checked in its XML."""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from campaign_report import docx_writer, page_fit
from campaign_report.document import Document, Heading, Paragraph, Table, TextLine
from campaign_report.docx_writer import write_docx

TITLE = "松阳县工商行政管理局关于开展解放思想大讨论活动的工作总结"
ADDRESSEE = "各科、所、队、室、中心、分局"
H1_A = "一、成立领导小组，落实责任人员。"
P_A = "县委召开相关会议后，我局于3月10日召开局党委会，专题研究本局开展大讨论活动。"
H2_A = "（一）领导小组成员构成"
P_B = "由局长任组长，其他班子成员任副组长，各科所队室负责人为成员。"
H1_B = "二、开展系列活动，务求取得实效。"
P_C = "全系统86名干部职工共走访企业120余家，促进了双向交流。"
SIGNATURE = "松阳县工商行政管理局"
DATE_LINE = "2008年4月7日"
ISSUER = "松阳县工商行政管理局办公室"
KEYWORDS = "队伍建设　解放思想大讨论　总结"
COPY_TO = ("市工商局", "县大讨论活动办公室")
TABLE = Table(
    header=("项目", "人数", "备注"),
    rows=(("中层以上干部", "31", "撰写心得体会"), ("走访企业", "120余家", "全系统")),
)


def make_document(**changes: object) -> Document:
    document = Document(
        title=TITLE,
        blocks=(
            Heading(H1_A, 1),
            Paragraph(P_A),
            Heading(H2_A, 2),
            Paragraph(P_B),
            TABLE,
            Heading(H1_B, 1),
            Paragraph(P_C),
        ),
        date_line=DATE_LINE,
        issuer=ISSUER,
        issue_date="2008年4月7日",
        addressee=ADDRESSEE,
        signature=SIGNATURE,
        keywords=KEYWORDS,
        copy_to=COPY_TO,
    )
    return replace(document, **changes)


def save_and_open(tmp_path: Path, document: Document | None = None):
    path = write_docx(document or make_document(), tmp_path / "工作总结.docx")
    return docx.Document(str(path))


@pytest.fixture
def word(tmp_path: Path):
    return save_and_open(tmp_path)


def texts(word) -> list[str]:
    """Non-empty body paragraphs in order (table cells are not body paragraphs)."""
    return [p.text for p in word.paragraphs if p.text]


def paragraph(word, text: str):
    return next(p for p in word.paragraphs if p.text == text)


def style_fonts(word, name: str) -> dict[str, str]:
    fonts = word.styles[name].element.rPr.rFonts
    return {attr: fonts.get(qn(f"w:{attr}")) for attr in ("eastAsia", "ascii", "hAnsi")}


def style_size_pt(word, name: str) -> float:
    """The size a style ends up with, following basedOn."""
    style = word.styles[name]
    while style.font.size is None:
        style = style.base_style
    return style.font.size.pt


def ind(element) -> dict[str, str]:
    found = element.find(qn("w:pPr")).find(qn("w:ind"))
    return {key.split("}")[1]: value for key, value in found.attrib.items()}


# --- Page ---------------------------------------------------------------------------------------


def test_page_is_a4_with_the_standard_margins(word) -> None:
    sect_pr = word.sections[0]._sectPr
    size = sect_pr.find(qn("w:pgSz"))
    margins = sect_pr.find(qn("w:pgMar"))
    assert (size.get(qn("w:w")), size.get(qn("w:h"))) == ("11906", "16838")
    assert {side: margins.get(qn(f"w:{side}")) for side in ("top", "bottom", "left", "right")} == {
        "top": "2098",
        "bottom": "1984",
        "left": "1588",
        "right": "1474",
    }
    # Type area 156 × 225 mm.
    assert 11906 - 1588 - 1474 == 8844 == round(156 * 1440 / 25.4)
    assert 16838 - 2098 - 1984 == 12756 == round(225 * 1440 / 25.4)


def test_document_grid_is_22_lines_of_28_characters(word) -> None:
    grid = word.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    pitch = int(grid.get(qn("w:linePitch")))
    assert pitch == 579
    assert 22 * pitch <= 12756 < 23 * pitch
    char_pitch_pt = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert 28 * char_pitch_pt <= 8844 / 20 < 29 * char_pitch_pt


def test_body_tracking_fits_28_characters_without_the_grid(word) -> None:
    spacing = word.styles["Normal"].element.rPr.find(qn("w:spacing"))
    pitch_pt = 16 + int(spacing.get(qn("w:val"))) / 20
    assert 28 * pitch_pt <= 8844 / 20 < 29 * pitch_pt


def test_footer_sits_about_7_mm_below_the_type_area(word) -> None:
    footer_mm = word.sections[0].footer_distance.mm
    # The dash is half a 14 pt line above the footer distance; the type area ends at 35 mm.
    dash_mm = footer_mm + 7 * 25.4 / 72
    assert 35 - dash_mm == pytest.approx(7, abs=0.1)


# --- Styles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "east_asia", "size"),
    [
        ("Normal", "仿宋_GB2312", 16),
        (docx_writer.BODY, "仿宋_GB2312", 16),
        (docx_writer.TITLE, "方正小标宋简体", 22),
        (docx_writer.HEADING_1, "黑体", 16),
        (docx_writer.HEADING_2, "楷体_GB2312", 16),
        (docx_writer.TABLE_TEXT, "仿宋_GB2312", 14),
        (docx_writer.COPY_TO, "仿宋_GB2312", 14),
        (docx_writer.IMPRINT, "仿宋_GB2312", 14),
        (docx_writer.PAGE_NUMBER, "宋体", 14),
    ],
)
def test_styles_name_the_east_asian_font_and_size(word, style, east_asia, size) -> None:
    resolved = word.styles[style]
    while resolved.element.rPr is None or resolved.element.rPr.rFonts is None:
        resolved = resolved.base_style
    assert style_fonts(word, resolved.name)["eastAsia"] == east_asia
    assert style_size_pt(word, style) == size


def test_latin_text_is_times_new_roman_and_language_is_chinese(word) -> None:
    assert style_fonts(word, "Normal") == {
        "eastAsia": "仿宋_GB2312",
        "ascii": "Times New Roman",
        "hAnsi": "Times New Roman",
    }
    for r_pr in (
        word.styles["Normal"].element.rPr,
        word.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))[0],
    ):
        assert r_pr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
        assert r_pr.rFonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would win


def test_body_style_indents_two_characters_with_exact_line_spacing(word) -> None:
    assert ind(word.styles[docx_writer.BODY].element) == {
        "firstLine": "640",
        "firstLineChars": "200",
    }
    spacing = word.styles["Normal"].element.pPr.find(qn("w:spacing"))
    assert spacing.get(qn("w:lineRule")) == "exact"
    assert spacing.get(qn("w:line")) == "579"
    assert spacing.get(qn("w:before")) == spacing.get(qn("w:after")) == "0"


def test_paragraphs_carry_styles_not_run_formatting(word) -> None:
    for p in word.paragraphs:
        for run in p.runs:
            r_pr = run._r.rPr
            assert r_pr is None or list(r_pr) == r_pr.findall(qn("w:rStyle")), p.text


# --- Order and content --------------------------------------------------------------------------


def test_paragraph_order(word) -> None:
    assert texts(word) == [
        TITLE,
        f"{ADDRESSEE}：",
        H1_A,
        P_A,
        H2_A,
        P_B,
        H1_B,
        P_C,
        SIGNATURE,
        DATE_LINE,
        f"主题词：{KEYWORDS}",
        "抄送：市工商局，县大讨论活动办公室。",
        f"{ISSUER}\t2008年4月7日印发",
    ]


def test_blocks_get_their_styles(word) -> None:
    styles = {p.text: p.style.name for p in word.paragraphs if p.text}
    assert styles[TITLE] == docx_writer.TITLE
    assert styles[f"{ADDRESSEE}："] == docx_writer.ADDRESSEE
    assert styles[H1_A] == styles[H1_B] == docx_writer.HEADING_1
    assert styles[H2_A] == docx_writer.HEADING_2
    assert styles[P_A] == styles[P_B] == styles[P_C] == docx_writer.BODY
    assert styles[SIGNATURE] == styles[DATE_LINE] == docx_writer.CLOSING


def test_title_is_centred_with_a_blank_line_after(word) -> None:
    fmt = word.styles[docx_writer.TITLE].paragraph_format
    assert fmt.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert fmt.space_after.twips == 579


def test_title_line_breaks_are_kept_in_the_page_but_not_in_the_properties(tmp_path: Path) -> None:
    # The standard wants a long title broken where the words allow; the author chooses.
    word = save_and_open(tmp_path, make_document(title="关于开展大讨论活动\n的工作总结"))
    title = word.paragraphs[0]
    assert len(title._p.findall(f".//{qn('w:br')}")) == 1
    assert title.text == "关于开展大讨论活动\n的工作总结"
    assert word.core_properties.title == "关于开展大讨论活动的工作总结"


def test_addressee_has_no_indent_and_one_full_width_colon(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(addressee="各科室:"))
    addressee = texts(word)[1]
    assert addressee == "各科室："
    style = word.styles[docx_writer.ADDRESSEE]
    assert style.element.pPr is None or style.element.pPr.find(qn("w:ind")) is None


def test_empty_addressee_is_left_out(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(addressee=""))
    assert texts(word)[:2] == [TITLE, H1_A]


def test_closing_is_right_aligned_after_a_blank_line(word) -> None:
    paragraphs = word.paragraphs
    signature = next(i for i, p in enumerate(paragraphs) if p.text == SIGNATURE)
    assert paragraphs[signature - 1].text == ""
    assert paragraphs[signature + 1].text == DATE_LINE
    style = word.styles[docx_writer.CLOSING]
    assert style.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT


def test_unsealed_signature_two_characters_in_and_date_two_right_of_it(word) -> None:
    # 松阳县工商行政管理局 is 10 characters, 2008年4月7日 is 6 (digits are half-width): the
    # signature ends 2 characters from the right, so the date, starting 2 characters right of
    # the signature's start, ends 4 from the right.
    assert ind(paragraph(word, SIGNATURE)._p) == {"right": "640", "rightChars": "200"}
    assert ind(paragraph(word, DATE_LINE)._p) == {"right": "1280", "rightChars": "400"}


def test_a_date_longer_than_the_signature_pushes_the_signature_left(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(signature="某某局", date_line="2008年12月17日"))
    # Date 7 characters, two from the right; the signature starts two characters before it.
    assert ind(paragraph(word, "2008年12月17日")._p) == {"right": "640", "rightChars": "200"}
    assert ind(paragraph(word, "某某局")._p) == {"right": "2560", "rightChars": "800"}


def test_signature_is_optional(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(signature=""))
    assert SIGNATURE not in texts(word)
    date_line = paragraph(word, DATE_LINE)
    assert date_line.style.name == docx_writer.CLOSING
    assert date_line._p.pPr.find(qn("w:ind")) is None  # the style's four characters
    assert ind(word.styles[docx_writer.CLOSING].element) == {"right": "1280", "rightChars": "400"}


def test_headings_below_level_two_are_body_paragraphs(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(blocks=(Heading("1. 第三层", 3),)))
    assert paragraph(word, "1. 第三层").style.name == docx_writer.BODY


# --- Table --------------------------------------------------------------------------------------


def test_table_is_a_real_word_table(word) -> None:
    assert len(word.tables) == 1
    table = word.tables[0]
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        list(TABLE.header),
        *(list(row) for row in TABLE.rows),
    ]
    assert table.style.name == "Table Grid"
    # It sits between “（一）…” body text and the next heading.
    body = list(word.element.body)
    tbl = body.index(table._tbl)
    assert body[tbl - 1].xpath("string(.)") == P_B
    assert body[tbl + 1].xpath("string(.)") == H1_B


def test_table_header_repeats_is_bold_and_cells_are_centred(word) -> None:
    table = word.tables[0]
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    assert {cell.paragraphs[0].style.name for cell in header.cells} == {docx_writer.TABLE_HEADER}
    assert word.styles[docx_writer.TABLE_HEADER].font.bold is True
    for row in table.rows:
        for cell in row.cells:
            assert cell.vertical_alignment == docx.enum.table.WD_CELL_VERTICAL_ALIGNMENT.CENTER


def test_table_spans_the_type_area(word) -> None:
    tbl = word.tables[0]._tbl
    width = tbl.tblPr.find(qn("w:tblW"))
    assert (width.get(qn("w:type")), width.get(qn("w:w"))) == ("dxa", "8844")
    grid = [int(col.get(qn("w:w"))) for col in tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(grid) == 3 and sum(grid) == 8844


def test_short_table_rows_are_padded_and_tables_kept_apart(tmp_path: Path) -> None:
    ragged = Table(header=("甲", "乙", "丙"), rows=(("1",),))
    word = save_and_open(tmp_path, make_document(blocks=(ragged, ragged)))
    assert len(word.tables) == 2  # an empty paragraph between them stops Word merging them
    assert [cell.text for cell in word.tables[0].rows[1].cells] == ["1", "", ""]


# --- 版记 -----------------------------------------------------------------------------------------


def imprint_rules(word) -> list[int]:
    """Border sizes of the rule paragraphs, in document order."""
    sizes = []
    for p in word.paragraphs:
        p_pr = p.style.element.pPr
        borders = None if p_pr is None else p_pr.find(qn("w:pBdr"))
        if borders is not None:
            sizes.append(int(borders.find(qn("w:bottom")).get(qn("w:sz"))))
    return sizes


def test_imprint_texts_and_rules(word) -> None:
    tail = [p for p in word.paragraphs][-7:]
    assert [p.text for p in tail] == [
        "",
        f"主题词：{KEYWORDS}",
        "",
        "抄送：市工商局，县大讨论活动办公室。",
        "",
        f"{ISSUER}\t2008年4月7日印发",
        "",
    ]
    # Thick above the first element and below the last, thin between.
    assert imprint_rules(word) == [8, 6, 6, 8]
    keywords = tail[1]
    assert keywords.runs[0].text == "主题词："
    assert keywords.runs[0].style.name == docx_writer.KEYWORDS_LABEL
    assert style_fonts(word, docx_writer.KEYWORDS_LABEL)["eastAsia"] == "黑体"


def test_imprint_rules_span_the_type_area(word) -> None:
    for name in (docx_writer.RULE_THICK, docx_writer.RULE_THIN):
        p_pr = word.styles[name].element.pPr
        assert p_pr.find(qn("w:ind")) is None  # borders run from indent to indent


def test_imprint_line_puts_the_date_on_a_right_tab(word) -> None:
    fmt = word.styles[docx_writer.IMPRINT].paragraph_format
    (tab,) = list(fmt.tab_stops)
    assert tab.alignment == docx.enum.text.WD_TAB_ALIGNMENT.RIGHT
    assert tab.position.twips == 8844 - 280  # one character in from the right edge
    assert ind(word.styles[docx_writer.IMPRINT].element) == {
        "firstLine": "280",
        "firstLineChars": "100",
    }


def test_copy_to_indents_one_character_and_wraps_under_the_first_body(word) -> None:
    assert ind(word.styles[docx_writer.COPY_TO].element) == {
        "left": "1120",
        "leftChars": "400",
        "hanging": "840",
        "hangingChars": "300",
        "right": "280",
        "rightChars": "100",
    }


def test_empty_keywords_and_copy_to_are_left_out(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(keywords="", copy_to=()))
    assert not any(text.startswith(("主题词", "抄送")) for text in texts(word))
    assert [p.text for p in word.paragraphs][-3:] == ["", f"{ISSUER}\t2008年4月7日印发", ""]
    assert imprint_rules(word) == [8, 8]


def test_blank_copy_to_bodies_are_dropped(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(keywords="", copy_to=("  ", "县消保委")))
    assert "抄送：县消保委。" in texts(word)
    assert imprint_rules(word) == [8, 6, 8]


# --- Footers ------------------------------------------------------------------------------------


def footer_xml(footer) -> str:
    return footer._element.xml


def test_page_numbers_are_page_fields_between_em_dashes(word) -> None:
    section = word.sections[0]
    for footer in (section.footer, section.even_page_footer):
        (p,) = footer.paragraphs
        instructions = [el.text.strip() for el in p._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE"]
        kinds = [el.get(qn("w:fldCharType")) for el in p._p.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"]
        assert p.text == "— 1 —"


def test_odd_and_even_footers_sit_on_opposite_sides(word) -> None:
    settings = word.settings.element
    assert settings.find(qn("w:evenAndOddHeaders")) is not None
    section = word.sections[0]
    refs = {ref.get(qn("w:type")) for ref in section._sectPr.findall(qn("w:footerReference"))}
    assert refs == {"default", "even"}
    odd = section.footer.paragraphs[0].style
    even = section.even_page_footer.paragraphs[0].style
    assert odd.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    assert even.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT
    assert ind(odd.element) == {"right": "280", "rightChars": "100"}
    assert ind(even.element) == {"left": "280", "leftChars": "100"}


# --- Text handling, properties, saving ----------------------------------------------------------


def test_markup_characters_pass_through_unchanged(tmp_path: Path) -> None:
    tricky = 'A & B <c> "d" 甲＆乙'
    document = make_document(
        title=tricky,
        blocks=(Paragraph(tricky), Table(header=(tricky,), rows=((tricky,),))),
        copy_to=(tricky,),
    )
    word = save_and_open(tmp_path, document)
    assert texts(word)[0] == tricky
    assert tricky in texts(word)
    assert f"抄送：{tricky}。" in texts(word)
    assert word.tables[0].cell(1, 0).text == tricky
    assert word.core_properties.title == tricky


def test_characters_xml_cannot_hold_are_dropped(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(blocks=(Paragraph("甲\x0b乙\x00丙"),)))
    assert "甲乙丙" in texts(word)


def test_core_properties(word) -> None:
    props = word.core_properties
    assert props.title == TITLE
    assert props.language == "zh-CN"
    assert props.author == ISSUER
    assert props.comments == ""


def test_template_thumbnail_is_not_shipped(tmp_path: Path) -> None:
    path = write_docx(make_document(), tmp_path / "a.docx")
    with zipfile.ZipFile(path) as package:
        assert not any("thumbnail" in name for name in package.namelist())


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "工作总结.docx"
    path.write_bytes(b"old")
    assert write_docx(make_document(), path) == path
    assert zipfile.is_zipfile(path)
    assert os.listdir(tmp_path) == [path.name]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "工作总结.docx"
    path.write_bytes(b"old")

    def broken_save(self, stream) -> None:
        stream.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_docx(make_document(), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == [path.name]


# --- Fonts: fallbacks for a PC without the official ones ---------------------------------------

WINDOWS_CHINESE_FONTS = {"仿宋", "楷体", "黑体", "宋体"}  # on every Chinese Windows


def test_font_table_gives_each_east_asian_font_a_windows_fallback(tmp_path: Path) -> None:
    path = write_docx(make_document(), tmp_path / "a.docx")
    with zipfile.ZipFile(path) as package:
        styles = package.read("word/styles.xml").decode()
        fonts = docx.oxml.parse_xml(package.read("word/fontTable.xml"))
        theme = package.read("word/theme/theme1.xml").decode()
    named = set(re.findall(r'<w:rFonts [^>]*w:eastAsia="([^"]+)"', styles))
    assert {"仿宋_GB2312", "楷体_GB2312", "方正小标宋简体", "黑体", "宋体"} <= named
    table = {font.get(qn("w:name")): font for font in fonts.findall(qn("w:font"))}
    for name in named:
        assert name in table, name
        font = table[name]
        assert font.find(qn("w:charset")).get(qn("w:val")) == "86"  # GB2312
        alternative = font.find(qn("w:altName"))
        if name in WINDOWS_CHINESE_FONTS:
            continue
        # 仿宋_GB2312 -> 仿宋, 楷体_GB2312 -> 楷体, 方正小标宋简体 -> 宋体
        assert alternative is not None, name
        assert alternative.get(qn("w:val")) in WINDOWS_CHINESE_FONTS
        assert alternative.get(qn("w:val"))[:1] == name[:1] or name == "方正小标宋简体"
    # Text outside our styles falls back to Windows' own Chinese fonts, not a Japanese face.
    hans = re.findall(r'<a:font script="Hans" typeface="([^"]+)"/>', theme)
    assert hans and set(hans) <= WINDOWS_CHINESE_FONTS


# --- Punctuation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("县个私(民营)协会", "县个私（民营）协会"),
        ("(一)总体情况", "（一）总体情况"),
        ("甲,乙;丙:丁?", "甲，乙；丙：丁？"),
        ("投入3,000元", "投入3,000元"),  # digits keep their comma
        ("网址 http://a.cn", "网址 http://a.cn"),
        ("Word (2016)", "Word (2016)"),  # no Chinese: left alone
    ],
)
def test_chinese_text_gets_full_width_punctuation(tmp_path: Path, typed: str, written: str):
    blocks = (Paragraph(typed), Table(("项目",), ((typed,),)))
    word = save_and_open(tmp_path, make_document(blocks=blocks, copy_to=(typed,)))
    assert written in texts(word)
    assert word.tables[0].cell(1, 0).text == written
    assert f"抄送：{written}。" in texts(word)


# --- Table widths -------------------------------------------------------------------------------

PROJECTS = (
    ("序号", "项目名称", "责任科室", "责任人", "完成时限"),
    ("1", "实施茶叶商标品牌培育工程，帮助茶企申报著名商标和地理标志证明商标", "商标广告科",
     "应宇", "12月31日"),
    ("10", "推动12315进村入户，完善消费维权网络", "个体私营经济科", "欧阳建国", "6月30日"),
)  # fmt: skip
FEEDBACK = (
    ("意见建议", "整改措施", "责任单位", "责任人"),
    ("少数干部学习不够，业务不精", "组织窗口人员开展登记业务培训，实行一次性告知制度",
     "企业注册科、法制科、人教科", "叶建伟、郑建华、叶永忠"),
)  # fmt: skip
TWIPS_PER_MM = 1440 / 25.4


def test_column_widths_fit_names_and_dates_and_span_the_type_area() -> None:
    widths, running = docx_writer.column_widths(PROJECTS)
    assert sum(widths) == 8844  # 156 mm
    assert running == {1}  # only 项目名称 is running text
    # 序号 is narrow, and every short cell fits its column on one line: its characters at
    # 14 pt (Chinese) or 7 pt (digits), the space LibreOffice and Word set between digits and
    # Chinese, and the cell margins.
    assert widths[0] < 16 * TWIPS_PER_MM
    for col in (0, 2, 3, 4):
        for row in PROJECTS:
            assert docx_writer._cell_width(docx_writer._cell_text_width(row[col])) <= widths[col]
    assert widths[1] == max(widths)  # the running text takes what is left


def test_lists_of_names_break_between_names_only() -> None:
    widths, running = docx_writer.column_widths(FEEDBACK)
    assert sum(widths) == 8844 and running == {0, 1}
    for col in (2, 3):
        wrapped = docx_writer.wrap_list(FEEDBACK[1][col], widths[col])
        lines = wrapped.split("\n")
        assert "".join(lines) == FEEDBACK[1][col]
        # Each line is whole items: 叶建伟、 / 郑建华、 … never 叶建 / 伟.
        items = FEEDBACK[1][col].split("、")
        assert all(set(line.rstrip("、").split("、")) <= set(items) for line in lines)


def test_running_text_columns_are_left_aligned_and_short_ones_centred(tmp_path: Path) -> None:
    word = save_and_open(tmp_path, make_document(blocks=(Table(PROJECTS[0], PROJECTS[1:]),)))
    row = word.tables[0].rows[1]
    assert row.cells[1].paragraphs[0].style.name == docx_writer.TABLE_TEXT_LONG
    left = docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT
    assert word.styles[docx_writer.TABLE_TEXT_LONG].paragraph_format.alignment == left
    assert {row.cells[c].paragraphs[0].style.name for c in (0, 2, 3, 4)} == {docx_writer.TABLE_TEXT}


# --- Closing block: the decisions from measured pages ------------------------------------------

GEOMETRY = docx_writer.GEOMETRY  # type area from 104.9 to 742.7 pt


def line(page: int, index: int, text: str) -> TextLine:
    """A text line on the 22-line grid of 28.95 pt."""
    top = GEOMETRY.type_top + index * 28.95 + 5
    return TextLine(page, top, top + 20, 80, text)


def body_lines(pages: int, last_page_lines: int) -> list[TextLine]:
    lines = [line(p, i, "正文") for p in range(1, pages) for i in range(22)]
    return lines + [line(pages, i, "正文") for i in range(last_page_lines)]


def closing_lines(page: int, first: int) -> list[TextLine]:
    return [line(page, first, SIGNATURE), line(page, first + 1, DATE_LINE)]


def test_a_stranded_date_first_loses_the_blank_line_then_takes_two_lines_along() -> None:
    document = make_document(blocks=(Paragraph("甲" * 60),))
    stranded = body_lines(2, 22) + closing_lines(3, 1)
    layout = page_fit.next_layout(document, page_fit.Layout(), stranded, GEOMETRY)
    assert layout == page_fit.Layout(blank_before_signature=False)
    # Still stranded without the blank line: the paragraph's last two lines move.
    stranded[42:44] = [line(2, 20, "甲" * 28), line(2, 21, "甲" * 4)]  # page 2, lines 21-22
    layout = page_fit.next_layout(document, layout, stranded, GEOMETRY)
    assert layout.tail == "甲" * 32


def test_date_on_an_odd_page_sends_the_imprint_to_the_next_page() -> None:
    lines = body_lines(1, 10) + closing_lines(1, 11) + [line(1, 13, "某某办公室 印发")]
    layout = page_fit.next_layout(make_document(), page_fit.Layout(), lines, GEOMETRY)
    assert layout.imprint == page_fit.OWN_PAGE


def test_even_page_without_room_adds_a_blank_page() -> None:
    lines = body_lines(2, 18) + closing_lines(2, 19) + [line(3, 2, "某某办公室 印发")]
    layout = page_fit.next_layout(make_document(), page_fit.Layout(), lines, GEOMETRY)
    assert layout.imprint == page_fit.BLANK_PAGE


def test_even_page_with_room_gets_the_space_that_puts_the_last_rule_on_the_edge() -> None:
    imprint = line(2, 15, "某某办公室 印发")
    lines = body_lines(2, 10) + closing_lines(2, 12) + [imprint]
    layout = page_fit.next_layout(make_document(), page_fit.Layout(), lines, GEOMETRY)
    assert layout.imprint == page_fit.FLOW
    rule = imprint.bottom + GEOMETRY.rule_below_text
    assert layout.spacer == round((GEOMETRY.type_bottom - GEOMETRY.safety - rule) * 20)
    assert 0 < layout.spacer < 22 * 579


def test_unmeasured_imprint_gets_an_unnumbered_page_of_its_own(word) -> None:
    # Without LibreOffice the 版记 cannot know its page; it goes on a new section's page,
    # whose footers are empty, below a space sized from its own lines.
    sections = word.sections
    assert len(sections) == 2
    date_paragraph = paragraph(word, DATE_LINE)._p
    assert date_paragraph.pPr.find(qn("w:sectPr")) is not None  # the break, after the date
    last = sections[-1]
    assert all(not f.is_linked_to_previous for f in (last.footer, last.even_page_footer))
    assert last.footer.paragraphs[0].text == last.even_page_footer.paragraphs[0].text == ""
    assert sections[0].footer.paragraphs[0].text == "— 1 —"
    space = next(p for p in word.paragraphs if p.style.name == docx_writer.IMPRINT_SPACE)
    imprint_lines = 3  # 主题词, 抄送 and 印发 on one line each
    expected = 12756 - imprint_lines * 579 - 4 * docx_writer.RULE_HEIGHT - 2 * 40
    assert space.paragraph_format.line_spacing.twips == expected


def test_lines_without_the_date_decide_nothing_and_the_count_takes_over(tmp_path: Path) -> None:
    lines = body_lines(2, 5)  # a renderer that lost the closing block
    assert page_fit.next_layout(make_document(), page_fit.Layout(), lines, GEOMETRY) is None
    path = write_docx(make_document(), tmp_path / "a.docx", measure=lambda _: lines)
    assert len(docx.Document(str(path)).sections) == 2  # the 版记 on its own page, by count


def test_a_measure_that_cannot_render_is_asked_nothing(tmp_path: Path) -> None:
    # An office PC without LibreOffice: no trial document is built and measured in vain.
    asked: list[object] = []

    def measure(path: Path) -> None:
        asked.append(path)

    measure.ready = lambda: False  # type: ignore[attr-defined]
    measure.many = lambda paths: asked.extend(paths) or [None] * len(paths)  # type: ignore[attr-defined]
    assert docx_writer.fit_layout(make_document(), measure) is None
    path = write_docx(make_document(), tmp_path / "a.docx", measure=measure)
    assert asked == []
    assert len(docx.Document(str(path)).sections) == 2  # the 版记 on its own page, by count


def test_pdftotext_bbox_lines_are_read_in_page_and_reading_order() -> None:
    from campaign_report.adapters.pdf_layout import parse_bbox_layout

    xhtml = (
        '<page width="595" height="842"><flow><block>'
        '<line xMin="300.0" yMin="120.5" xMax="400" yMax="140.2">'
        '<word xMin="1" yMin="1" xMax="2" yMax="2">印发</word></line>'
        '<line xMin="80.0" yMin="120.0" xMax="200" yMax="140.0">'
        '<word xMin="1" yMin="1" xMax="2" yMax="2">A&amp;B</word>'
        '<word xMin="1" yMin="1" xMax="2" yMax="2">办公室</word></line>'
        "</block></flow></page>"
        '<page width="595" height="842"><flow><block>'
        '<line xMin="80.0" yMin="110.0" xMax="200" yMax="130.0">'
        '<word xMin="1" yMin="1" xMax="2" yMax="2">二</word></line>'
        "</block></flow></page>"
    )
    assert parse_bbox_layout(xhtml) == [
        TextLine(1, 120.0, 140.0, 80.0, "A&B办公室"),
        TextLine(1, 120.5, 140.2, 300.0, "印发"),
        TextLine(2, 110.0, 130.0, 80.0, "二"),
    ]
