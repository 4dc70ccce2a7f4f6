"""生成报告: every figure of the seed comes out of rows, into a GB/T 9704 .docx."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import Editor, soffice_convert

from campaign_report.cli import main
from campaign_report.errors import RefusedError, TemplateError
from campaign_report.resources import templates_dir
from campaign_report.steps import open_book, report_file, write_report

SEED_FACTS = [
    "3月10日召开局党委会",
    "由局长任组长，其他班子成员任副组长，各单位负责人为成员",
    "人教科负责实施，监察室负责督查，办公室负责协调",
    "3月10日召开全系统动员大会",
    "在松阳红盾网开设“解放思想大讨论专栏”",
    "全系统共分六个小组",
    "设置意见箱、公布监督电话和投诉电话、发放征求意见表300份",
    "少数干部学习不够，业务不精；干部创新精神不够；学校门口流动食品摊管理不严，要加强对校园周边小贩小摊的管理；"
    "在农村市场监管上要加强与相关村两委沟通等",
    "全系统31名中层以上干部",
    "撰写出一篇1500字左右的心得体会文章，其中4名副科以上领导干部的体会文章已上报县解放思想大讨论活动办公室",
    "每天派出12名干部对浙南茶叶市场进行驻场管理",
    "3月14日，局长亲自带队",
    "在3月下旬集中开展了一轮走访企业活动",
    "全系统86名干部职工共走访企业120余家",
    "每个单位都推荐了至少一个",
    "3月26-28日，我局局长、分管副局长带队",
    "赴新昌、武义等地考察学习",
    "确定了2008年度为民办实事十件大事",
    "由监察室、人教科、办公室负责，以定期不定期检查、明查暗访等多种方式",
    "通过为期一个月的解放思想大讨论活动",
    "二〇〇八年四月七日",
    "主题词：队伍建设 解放思想大讨论 总结",
    # The seed's half-width (民营) and its 2008年4月7日印发 beside 二〇〇八年四月七日 are the faults
    # issue 12 fixes: Chinese text takes full-width brackets, and 印发日期 follows 落款日期写法.
    "抄送：市工商局，县大讨论活动办公室，县消保委，县个私（民营）协会。",
    "二〇〇八年四月七日印发",
]


def _text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


def _tables(path: Path) -> list[list[list[str]]]:
    return [
        [[c.text for c in row.cells] for row in t.rows] for t in docx.Document(str(path)).tables
    ]


@pytest.fixture(scope="module")
def seed_report(example_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "工作总结.docx"
    report_file(example_master, out, markdown=True)
    return out


@pytest.mark.parametrize("fact", SEED_FACTS)
def test_the_report_states_each_seed_fact(seed_report: Path, fact: str) -> None:
    assert fact in _text(seed_report).replace("\t", "")


def test_sections_are_numbered_as_in_the_seed(seed_report: Path) -> None:
    headings = [
        p.text
        for p in docx.Document(str(seed_report)).paragraphs
        if re.match(r"^[一二三四五六七八九十]、", p.text)
    ]
    assert [h[0] for h in headings] == list("一二三四五六七八九")
    assert headings[0] == "一、成立领导小组，落实责任人员。"
    assert headings[-1] == "九、活动成效初显，下步仍需努力。"


def test_projects_and_opinions_are_real_word_tables(seed_report: Path) -> None:
    opinions, projects = _tables(seed_report)
    assert opinions[0] == ["意见建议", "整改措施", "责任单位", "责任人"] and len(opinions) == 5
    assert projects[0][:3] == ["序号", "项目名称", "责任单位"] and len(projects) == 11
    assert [row[0] for row in projects[1:]] == [str(n) for n in range(1, 11)]


def test_markdown_copy(seed_report: Path) -> None:
    text = seed_report.with_suffix(".md").read_text(encoding="utf-8")
    assert (
        text.startswith("# 松阳县工商行政管理局") and "## 七、充分发挥职能，开展系列活动。" in text
    )
    assert "| 序号 | 项目名称 |" in text


def test_the_template_writes_no_figure_itself() -> None:
    source = (templates_dir() / "工作总结.md.j2").read_text(encoding="utf-8")
    body = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    assert not re.findall(r"\d", body)


def test_new_rows_give_new_figures(example: Path, edit, tmp_path: Path) -> None:
    editor: Editor = edit(example)
    editor.append("人员", {"姓名": "王新来", "单位": "办公室", "职级": "一般干部"})
    for n in range(10):
        editor.append(
            "走访",
            {
                "走访日期": f"2008-03-{21 + n}",
                "单位": "办公室",
                "走访人": "王新来",
                "对象类别": "企业",
                "对象名称": f"松阳县新办第{n + 1}号茶叶专业合作社",
            },
        )
    editor.append(
        "活动",
        {
            "日期": "2008-03-20",
            "组织单位": "办公室",
            "活动类型": "分组讨论",
            "活动名称": "分组讨论",
            "讨论小组": "第七小组",
        },
    )
    first = editor.find("征求意见表", "发放份数", editor.get("征求意见表", 2, "发放份数"))
    editor.set("征求意见表", first, "发放份数", editor.get("征求意见表", first, "发放份数") + 50)
    ws = editor.book["实事项目"]
    for cell in ws[ws.max_row]:
        cell.value = None
    editor.save()
    out = tmp_path / "新报告.docx"
    assert main(["report", str(example), "--out", str(out)]) == 0
    text = _text(out)
    assert "全系统87名干部职工共走访企业130余家" in text
    assert "全系统共分七个小组" in text
    assert "发放征求意见表350份" in text
    assert "为民办实事九件大事" in text
    assert len(_tables(out)[1]) == 10


def test_sections_without_data_are_left_out_and_numbering_closes_up(
    example: Path, edit, tmp_path: Path
) -> None:
    editor = edit(example)
    ws = editor.book["督查"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.value = None
    editor.save()
    out = tmp_path / "r.docx"
    report_file(example, out)
    text = _text(out)
    assert "强化督促检查" not in text
    assert "八、活动成效初显，下步仍需努力。" in text


def test_a_book_with_errors_is_refused_unless_forced(
    example: Path, edit, tmp_path: Path, capsys
) -> None:
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.save()
    with pytest.raises(RefusedError, match="1个错误"):
        write_report(open_book(example), tmp_path / "r.docx")
    assert main(["report", str(example), "--out", str(tmp_path / "r.docx")]) == 1
    assert "走访!D5" in capsys.readouterr().err
    assert not (tmp_path / "r.docx").exists()
    assert main(["report", str(example), "--out", str(tmp_path / "r.docx"), "--force"]) == 0
    assert (tmp_path / "r.docx").exists()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("第一行\n{% if visits.rows %}\n没有结束", "第3行有语法错误"),
        ("第一行\n第二行\n{{ visits.no_such_fact }}", "第3行出错"),
        ("{{ ''.__class__.__mro__ }}", "出错"),  # the sandbox refuses it
    ],
)
def test_a_broken_template_names_its_line(
    example_master: Path, tmp_path: Path, capsys, template, expected
) -> None:
    path = tmp_path / "坏模板.md.j2"
    path.write_text(template, encoding="utf-8")
    with pytest.raises(TemplateError, match=expected):
        report_file(example_master, tmp_path / "r.docx", template=path)
    assert (
        main(
            [
                "report",
                str(example_master),
                "--template",
                str(path),
                "--out",
                str(tmp_path / "r.docx"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "坏模板.md.j2" in err and "Traceback" not in err


def test_page_setup_fonts_and_page_numbers_in_the_xml(seed_report: Path) -> None:
    with zipfile.ZipFile(seed_report) as archive:
        document = archive.read("word/document.xml").decode()
        styles = archive.read("word/styles.xml").decode()
        footers = [
            archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer")
        ]
    assert '<w:pgSz w:w="11906" w:h="16838"' in document
    assert re.search(r'<w:pgMar[^>]*w:top="2098"[^>]*w:left="1588"', document) or (
        'w:top="2098"' in document and 'w:left="1588"' in document
    )
    for font in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"):
        assert f'w:eastAsia="{font}"' in styles
    assert any("PAGE" in f and "—" in f for f in footers) and len(footers) >= 2


def test_the_report_renders_in_libreoffice(seed_report: Path, tmp_path: Path) -> None:
    pdf = soffice_convert(seed_report, tmp_path)
    assert pdf.stat().st_size > 10_000
