"""No silent zeros: which figures a missing or unreadable column leaves uncounted.

A figure computed from a column that is not there would come out as 0 and read as a fact.
:data:`FIGURE_COLUMNS` says which columns each headline figure needs; the per-unit table's
needs follow from :data:`aggregate.PER_UNIT_COLUMNS`. 汇总 marks those figures, ``aggregate``
and the Excel button name them, and ``report`` refuses unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .model import ERROR, CampaignBook

# headline figure (a Summary.key_figures label; * stands for the campaign's own words, such as
# the main kind of visit) -> "sheet" or "sheet.column" keys it is counted from
FIGURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "参加走访*的干部职工（人）": ("visits.visitors", "visits.target_kind"),
    "走访*（*，去重）": ("visits.target_name", "visits.target_kind"),
    "走访*（次）": ("visits.target_kind",),
    "讨论小组（个）": ("activities.kind", "activities.group"),
    "发放征求意见表（份）": ("questionnaires.handed_out",),
    "回收征求意见表（份）": ("questionnaires.returned",),
    "征求到的意见建议（条）": ("feedback",),
    "撰写文章（篇）": ("essays",),
    "文章作者（人）": ("essays.author",),
    "文章上报（篇）": ("essays.submitted",),
    "心得体会平均字数": ("essays.length",),
    "金点子（条）": ("ideas",),
    "推荐金点子的单位（个）": ("ideas.unit", "units.name", "units.kind"),
    "实事项目（项）": ("projects",),
    "督查（次）": ("inspections",),
}
# reading issues that leave a cell uncounted
UNREAD_RULES = frozenset(
    {"unreadable_integer", "bad_choice", "bad_bool", "error_value", "ditto_blank"}
)


@dataclass(frozen=True)
class Gap:
    """A figure that could not be counted in full, and why."""

    figure: str
    missing: tuple[tuple[str, str], ...]  # (sheet name, header) of absent sheets or columns
    unread: tuple[tuple[str, str, int], ...]  # (sheet name, header, cells that could not be read)

    @property
    def mark(self) -> str:
        """What 汇总 shows instead of the number."""
        if self.missing:
            return "缺列：" + "、".join(header or sheet for sheet, header in self.missing)
        cells = sum(n for _, _, n in self.unread)
        return f"有{cells}格无法读取：" + "、".join(header for _, header, _ in self.unread)

    @property
    def reasons(self) -> str:
        """Why, in words: the missing sheets and columns, and the cells that could not be read."""
        reasons = [
            f"缺少工作表“{sheet}”" if not header else f"“{sheet}”表缺列“{header}”"
            for sheet, header in self.missing
        ]
        reasons += [f"“{sheet}”表“{header}”列有{n}格无法读取" for sheet, header, n in self.unread]
        return "，".join(reasons)

    @property
    def line(self) -> str:
        """One sentence for the command line and the control sheet."""
        return f"“{self.figure}”未能完整统计：{self.reasons}。"


def gap_lines(gaps: dict[str, Gap]) -> list[str]:
    """What ``aggregate`` and the 汇总 button say: figures sharing a cause are named together,
    so a missing column is said once."""
    by_cause: dict[str, list[str]] = {}
    for gap in gaps.values():
        by_cause.setdefault(gap.reasons, []).append(f"“{gap.figure}”")
    return [
        f"注意：{'、'.join(figures)}未能完整统计：{cause}。" for cause, figures in by_cause.items()
    ]


def figure_needs(labels: list[str]) -> dict[str, tuple[str, ...]]:
    """Each figure of 汇总 (the headline ``labels`` and the per-unit columns) -> its columns."""
    from .aggregate import PER_UNIT_COLUMNS  # aggregate imports this module

    needs = {label: needs_of(label) for label in labels}
    for title, (sheet, unit_column, measure) in PER_UNIT_COLUMNS.items():
        columns = [f"{sheet}.{unit_column}"] + ([f"{sheet}.{measure}"] if measure != "rows" else [])
        needs[title] = (*columns, "units.name")
    return needs


def needs_of(label: str) -> tuple[str, ...]:
    """The columns a headline figure needs; a figure not declared is a developer's mistake."""
    matches = [needs for pattern, needs in FIGURE_COLUMNS.items() if fnmatchcase(label, pattern)]
    if len(matches) != 1:
        raise KeyError(f"FIGURE_COLUMNS: {label} matches {len(matches)} patterns")
    return matches[0]


def figure_gaps(book: CampaignBook, labels: list[str]) -> dict[str, Gap]:
    """Figure label -> :class:`Gap`, for the figures a missing or unreadable column affects."""
    missing = _missing(book)
    unread = _unread(book)
    gaps = {}
    for figure, needs in figure_needs(labels).items():
        lost = tuple(dict.fromkeys(missing[n] for n in needs if n in missing))
        bad = tuple(dict.fromkeys(unread[n] for n in needs if n in unread))
        if lost or bad:
            gaps[figure] = Gap(figure, lost, bad)
    return gaps


def _missing(book: CampaignBook) -> dict[str, tuple[str, str]]:
    """'sheet' and 'sheet.column' keys that are not in the book -> (sheet name, header)."""
    found = {}
    for key, table in book.tables.items():
        name = table.sheet.name
        if table.header_row is None:
            found[key] = (name, "")
        for column in table.sheet.columns:
            if table.header_row is None:
                found[f"{key}.{column.key}"] = (name, "")
            elif column.key not in table.columns:
                found[f"{key}.{column.key}"] = (name, column.header)
    return found


def _unread(book: CampaignBook) -> dict[str, tuple[str, str, int]]:
    """'sheet.column' keys with cells reading could not read -> (sheet name, header, count)."""
    by_name = {
        (t.sheet.name, c.header): f"{k}.{c.key}"
        for k, t in book.tables.items()
        for c in t.sheet.columns
    }
    counts: dict[tuple[str, str], int] = {}
    for issue in book.issues:
        if issue.severity == ERROR and issue.rule in UNREAD_RULES:
            counts[(issue.sheet, issue.header)] = counts.get((issue.sheet, issue.header), 0) + 1
    return {by_name[k]: (*k, n) for k, n in counts.items() if k in by_name}
