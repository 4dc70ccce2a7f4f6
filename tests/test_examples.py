"""Any organisation's campaign: the invented examples get reports that state their own figures.

The expected figures below were worked out by hand from each example's CSV files
(workbook/examples/<name>/), figure by figure; none was copied from the tool's output.
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path

import docx
import openpyxl
import pytest

from campaign_report import outputs
from campaign_report.aggregate import aggregate
from campaign_report.cli import main
from campaign_report.definition import Definition
from campaign_report.example import example_folders
from campaign_report.model import CampaignBook, Table
from campaign_report.report import render_body
from campaign_report.steps import build_example, open_book, report_file, summarise_file
from campaign_report.wording import approx, cn

EXPECTED = {
    "青石镇": [
        # 专题会议: 5 rows on 4/3, 4/24, 5/22, 6/19, 7/24, nine people each
        "4月3日至7月24日，共召开镇党委专题会议5次，参加45人次",
        # 副组长: 镇长 and two 副镇长 are three people, not two posts
        "由镇党委书记任组长，镇长、两名副镇长任副组长，周文涛、吴海平、郑秀兰、何建新、黄丽娟为成员",
        "领导小组共9人",  # 1 组长 + 3 副组长 + 5 成员
        "陈立群负责活动的全面工作；赵国庆负责日常工作；刘建华负责宣传报道；马晓燕负责督促检查",
        "由党政办负责实施，社会事务办负责协调",
        "活动覆盖全镇11个单位、30名干部职工",
        "我镇于4月8日召开全镇作风建设年活动动员大会，126名干部职工参加",
        "4月9-15日，共开展宣传2次",
        # 18 bulletins, every sixth day from 4/10: the last on 7/21
        "4月10日至7月21日，共编发简报18期",
        # 60 + 58 + 62 + 57 = 237 people, written the round way
        "4月14日至7月7日，共开展机关干部集中学习4次，参加230余人次",
        "共开展专题讨论3次",
        "参加94人次",  # 35 + 28 + 31
        "设置意见箱、网上征求意见、发放征求意见表350份（收回323份）",
        "分头走访了村3个、社区2个、企业3家",
        "对征求到的6条意见和建议进行梳理后，主要有：办事效率不高；村级道路维护不及时；政策宣传不到位等",
        "对此，镇党委进行了专题研究",
        "目前已整改2条，3条正在整改中",
        # 10 pieces by 9 authors (吴海平 wrote two); 心得 lengths average 12800 / 8 = 1600
        "全镇9名干部职工结合学习讨论和本职工作，共撰写文章10篇，其中心得体会8篇、调研报告2篇，"
        "心得体会平均1600字左右，已上报县作风建设年活动办公室3篇",
        "在4月20日至6月17日集中开展了一轮走访群众活动",
        "共帮助解决问题17个",  # 9 (群众) + 4 (村) + 1 (社区) + 3 (企业)
        "全镇13名干部职工共走访群众7户（8次）",  # 林阿婆 visited twice
        "5个单位共推荐了6个好点子，已采纳2条",
        "5月15日至6月12日，共举办竞赛2场，分别为“作风建设知识竞赛”“为民服务演讲比赛”，"
        "共有11支队伍参赛，参加47人次",
        "5月8日至6月5日，共开展政策咨询日3次，参加120余人次",  # 40 + 35 + 52 = 127
        "我镇确定了2009年度为民办实事四件大事，落实3个责任单位，制定时间表确保工作进度",
        "目前推进中3项、已完成1项",
        "我镇由党政办、社会事务办负责，以明查暗访、专项检查等多种方式",
        # two cells name two units each: 5 roster units inspected
        "共开展督查3次（明查1次、暗访1次、专项检查1次），覆盖5个单位",
        "7月28日，召开作风建设年活动总结大会，118人参加",
        "通过为期四个月的作风建设年活动",  # 4/1-7/31
        "2009年8月10日",
    ],
    "清江县质监局": [
        "我局于4月7日召开局党组会议",
        "由局长任组长，两名副局长、纪检组长任副组长，各单位负责人为成员",
        "各单位负责人为成员，领导小组共10人",
        "由办公室负责实施，稽查队负责督查",
        "活动覆盖全局7个单位、22名干部职工",
        "我局于4月10日召开学习实践活动动员大会，22名干部职工参加",
        # eight sessions of one title, one with no count: 7 x 5 people
        "4月14日至6月26日，共开展局党组中心组学习8次，参加35人次",
        "5月8-27日，共开展专题讨论4次，包括“计量惠民专题讨论”“标准引领发展专题讨论”"
        "“质量安全监管专题讨论”等，参加26人次",
        "6月18日，召开局党组专题民主生活会，5人参加",
        "公布监督电话、发放征求意见表120份（收回96份）",
        "分头走访了部门2个",
        "4月28日至5月6日，共召开座谈会2次，分别为“企业代表座谈会”“消费者代表座谈会”，参加33人次",
        "对征求到的5条意见和建议进行梳理后，主要有：民生计量监管不到位；计量检定收费不透明",
        "对此，局党组进行了专题研究",
        "目前已整改2条，3条正在整改中",
        # 11 pieces by 10 authors; 心得 lengths (2200+2000+2000+1800+1600+1400) / 6 = 1833 -> 1800
        "全局10名中层以上干部结合学习讨论和本职工作，共撰写文章11篇，其中心得体会6篇、研讨文章3篇、"
        "调研报告2篇，心得体会平均1800字左右，已上报县学习实践活动办公室4篇",
        "在5月中旬集中开展了一轮走访企业活动",
        "帮助解决质量管理、计量检定",
        "共帮助解决问题15个",
        "全局16名干部职工共走访企业10家（12次）",
        "4个单位共推荐了4个好点子，已采纳1条，经梳理后统一向市质量技术监督局报告",
        "6月10日，开展质量咨询日",
        "确定了2009年度为民办实事三件大事，落实3个责任单位，制定详细的时间表确保工作进度",
        "目前未开始1项、推进中1项、已完成1项",
        "共开展督查2次（定期检查1次、暗访1次），覆盖3个单位",
        "6月29日，召开学习实践活动总结会，22人参加",
        "通过为期近三个月的深入学习实践科学发展观活动",  # 4/7-6/30, not 为期85天
        "二〇〇九年七月六日",
    ],
}

# Words that belong to one example only: its place, trade, organisation and voice.
OWN_WORDS = {
    "示例": ["松阳", "工商", "局党委", "全系统", "红盾", "献一计"],
    "青石镇": ["青石", "我镇", "镇党委", "全镇", "东岭", "西溪"],
    "清江县质监局": ["清江", "质量技术监督", "局党组", "全局", "计量"],
}

BROKEN = re.compile(r"None|nan|NaN|“”|（）|，。|。。|，，|、、|；。|。，|、。|，；|^，|None")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, definition: Definition) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("examples")
    return {
        name: build_example(folder / f"{name}.xlsx", definition, path)
        for name, path in example_folders().items()
    }


@pytest.fixture(scope="module")
def reports(books: dict[str, Path]) -> dict[str, str]:
    texts = {}
    for name, book in books.items():
        out = report_file(book, book.with_suffix(".docx"))["报告"]
        document = docx.Document(str(out))
        paragraphs = [p.text for p in document.paragraphs]
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        texts[name] = "\n".join(paragraphs + cells).replace("\t", "")
    return texts


def test_the_examples_are_found() -> None:
    assert set(EXPECTED) | {"示例"} == set(example_folders())


@pytest.mark.parametrize(
    ("name", "figure"), [(n, f) for n, figures in EXPECTED.items() for f in figures]
)
def test_each_expected_figure_is_in_the_report(
    reports: dict[str, str], name: str, figure: str
) -> None:
    assert figure in reports[name]


def test_only_what_the_rows_show_is_claimed(reports: dict[str, str]) -> None:
    for name in EXPECTED:
        assert "人人" not in reports[name]  # not every expected author wrote
        assert "为期85天" not in reports[name]


@pytest.mark.parametrize("name", sorted(OWN_WORDS))
def test_no_report_speaks_with_another_examples_words(reports: dict[str, str], name: str) -> None:
    for other, words in OWN_WORDS.items():
        if other != name:
            hits = [w for w in words if w in reports[name]]
            assert not hits, f"{name} says {other}'s {hits}"


def _data_rows(path: Path, definition: Definition) -> set[tuple[str, int]]:
    """Every record row of every table sheet, read with openpyxl (header on row 1)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = set()
    for sheet in definition.tables:
        for number, values in enumerate(book[sheet.name].iter_rows(values_only=True), start=1):
            if number > 1 and any(v not in (None, "") for v in values):
                rows.add((sheet.name, number))
    return rows


def _source_rows(text: str) -> set[tuple[str, int]]:
    """'走访!2-4、7；活动!3' -> {(走访, 2), (走访, 3), (走访, 4), (走访, 7), (活动, 3)}."""
    rows = set()
    for part in filter(None, (text or "").split("；")):
        sheet, ranges = part.split("!")
        for piece in ranges.split("、"):
            first, _, last = piece.partition("-")
            rows |= {(sheet, n) for n in range(int(first), int(last or first) + 1)}
    return rows


@pytest.mark.parametrize("name", sorted(OWN_WORDS))
def test_the_basis_sheet_accounts_for_every_row(
    books: dict[str, Path], definition: Definition, tmp_path: Path, name: str
) -> None:
    _, copy = summarise_file(books[name], tmp_path / "汇总.xlsx")
    sheet = openpyxl.load_workbook(copy)[outputs.BASIS_SHEET]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    stated = [r for r in rows if r[0] == outputs.STATED]
    left_out = [r for r in rows if r[0] == outputs.LEFT_OUT]
    covered = set().union(*(_source_rows(r[6]) for r in stated + left_out))
    assert covered == _data_rows(books[name], definition)
    assert not left_out  # the default report states something of every row of the examples
    assert all(r[3] for r in stated if r[6])  # each figure with rows has words in the report
    for row in stated:  # a count's words show the count (六 or 6, or 120余 for 123)
        if isinstance(row[4], int) and row[4] and row[6]:
            shown = (str(row[4]), cn(row[4]), approx(row[4]).removesuffix("余"))
            assert any(text in row[3] for text in shown), row
    link = sheet.cell(4, len(outputs.BASIS_HEADERS)).hyperlink
    assert link is not None and link.location.startswith("'")


def test_a_row_the_report_does_not_use_is_listed(
    books: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "只写走访.md.j2"
    template.write_text('共走访{{ fact("visits.rows") }}次。\n', encoding="utf-8")
    out = tmp_path / "r.docx"
    assert (
        main(["report", str(books["青石镇"]), "--template", str(template), "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert "未写入报告的记录：" in printed and "活动：第2-40行" in printed
    assert "走访：" not in printed  # every visit row reached the one figure stated


def _blanked(book: CampaignBook, sheet_key: str, column: str) -> CampaignBook:
    table = book.tables[sheet_key]
    data = table.data.copy()
    for key in (column, f"{column}_end"):
        if key in data:
            data[key] = None
    tables = {**book.tables, sheet_key: Table(table.sheet, data, table.raw, table.columns, 1)}
    return replace(book, tables=tables)


def _optional(definition: Definition) -> list[tuple[str, str]]:
    columns = [(s.key, c.key) for s in definition.tables for c in s.columns if not c.required]
    settings = [("settings", c.key) for c in definition.settings.columns if not c.required]
    return columns + settings


@pytest.mark.parametrize("name", sorted(OWN_WORDS))
def test_blank_optional_cells_drop_their_clause(
    books: dict[str, Path], definition: Definition, name: str
) -> None:
    book = open_book(books[name])
    for sheet_key, column in _optional(definition):
        if sheet_key == "settings":
            changed = replace(book, settings={**book.settings, column: None})
        else:
            changed = _blanked(book, sheet_key, column)
        text = render_body(aggregate(changed))
        found = BROKEN.search(text)
        assert found is None, (
            f"{name} {sheet_key}.{column}: …{text[found.start() - 20 : found.end() + 20]}…"
        )


def test_many_rows_do_not_make_a_longer_report(books: dict[str, Path]) -> None:
    book = open_book(books["青石镇"])
    base = len(render_body(aggregate(book)))
    table = book.tables["activities"]
    data = table.data
    many = data.loc[data.index.repeat(300)].reset_index(drop=True)  # 11 700 activity rows
    tables = {**book.tables, "activities": Table(table.sheet, many, table.raw, table.columns, 1)}
    longer = len(render_body(aggregate(replace(book, tables=tables))))
    assert longer < base * 1.2


def test_the_examples_csv_files_carry_every_new_column() -> None:
    """The invented examples exercise the new columns (a blank column would test nothing)."""
    wanted = {"走访.csv": "解决问题数", "金点子.csv": "是否采纳", "心得体会.csv": "类别"}
    wanted |= {"领导小组.csv": "分工", "活动.csv": "参赛队数"}
    for file, header in wanted.items():
        with (example_folders()["青石镇"] / file).open(encoding="utf-8") as handle:
            values = [row[header] for row in csv.DictReader(handle)]
        assert any(values), file
