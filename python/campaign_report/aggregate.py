"""汇总: per-unit and total tables, and the named facts the report states.

Every figure the summary document states is computed here from rows; the
template only words them. Each figure is a :class:`Fact` that remembers the
rows it came from (sheet and Excel row), so the report can say where every
number comes from and which rows it left out. Distinct counts use
:func:`normalise.name_key`, so the same enterprise typed twice with a stray
space counts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import normalise as nm
from .definition import ChoiceList
from .gaps import Gap, figure_gaps
from .model import ROW, CampaignBook

DEFAULT_ESSAY_KIND = "心得体会"  # a blank 类别 counts as a 心得
LISTED_TITLES = 3  # a kind with more rows than this is written "包括……等"
LISTED_NAMES = 8  # more names than this are counted, not listed
TABLE_ROWS = 20  # the report's tables stop here; the rest stays in the book
Rows = tuple[tuple[str, int], ...]  # (sheet name, Excel row)


@dataclass(frozen=True)
class Fact:
    """One figure the report may state, with how it was computed and its source rows."""

    key: str
    label: str  # Chinese: what the figure is
    value: Any
    how: str  # Chinese: how it was computed
    sheet: str = ""  # the sheet its source rows are on
    numbers: tuple[int, ...] = ()  # the source rows' Excel row numbers

    @property
    def rows(self) -> Rows:
        """The source rows as (sheet name, Excel row) pairs."""
        return tuple((self.sheet, number) for number in self.numbers)


@dataclass
class Summary:
    """What 汇总 produces: the per-unit table, category tables and the named facts."""

    per_unit: pd.DataFrame  # one row a unit plus a 合计 row; additive counts only
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # Chinese title -> table
    facts: dict[str, Any] = field(default_factory=dict)  # nested facts (the 汇总 sheet, API)
    sources: dict[str, Fact] = field(default_factory=dict)  # key -> fact the template may state
    data_rows: dict[str, tuple[int, ...]] = field(default_factory=dict)  # sheet -> its rows
    trace: Any = None  # set by the report: which facts it stated (report.Trace)
    gaps: dict[str, Gap] = field(default_factory=dict)  # figures a missing column leaves uncounted

    def key_figures(self) -> list[tuple[str, Any]]:
        """The headline numbers, labelled in Chinese, for the 汇总 sheet and the CLI."""
        f = self.facts
        main, measure = f["visits"]["main_kind"] or "对象", f["visits"]["main_measure"]
        return [
            (f"参加走访{main}的干部职工（人）", f["visits"]["visitors"]),
            (f"走访{main}（{measure}，去重）", f["visits"]["targets"]),
            (f"走访{main}（次）", f["visits"]["main_rows"]),  # the main kind only, not all 走访
            ("讨论小组（个）", f["discussion_groups"]),
            ("发放征求意见表（份）", f["feedback"]["questionnaires_out"]),
            ("回收征求意见表（份）", f["feedback"]["questionnaires_back"]),
            ("征求到的意见建议（条）", f["feedback"]["count"]),
            ("撰写文章（篇）", f["essays"]["count"]),
            ("文章作者（人）", f["essays"]["authors"]),
            ("文章上报（篇）", f["essays"]["submitted"]),
            ("心得体会平均字数", f["essays"]["average_length"]),
            ("金点子（条）", f["ideas"]["count"]),
            ("推荐金点子的单位（个）", f["ideas"]["units_with_ideas"]),
            ("实事项目（项）", f["projects"]["count"]),
            ("督查（次）", f["inspections"]["count"]),
        ]


class _Facts:
    """Collects the facts of one book, each with the rows of the frame it came from."""

    def __init__(self, book: CampaignBook) -> None:
        self.book = book
        self.items: dict[str, Fact] = {}

    def add(
        self, key: str, label: str, value: Any, how: str, sheet: str = "", frame: Any = None
    ) -> Any:
        if sheet and frame is not None:
            name = self.book.definition.sheet(sheet).name
            numbers = tuple(frame[ROW].tolist())  # plain ints, without a loop in Python
            self.items[key] = Fact(key, label, value, how, name, numbers)
        else:
            self.items[key] = Fact(key, label, value, how)
        return value


def aggregate(book: CampaignBook) -> Summary:
    """Compute the summary of ``book`` (rows with unreadable values count as far as they can)."""
    try:
        return _aggregate(book)
    finally:
        _KEYS.clear()


def _aggregate(book: CampaignBook) -> Summary:
    found = _Facts(book)
    facts = {
        "settings": dict(book.settings),
        "duration": _duration(book.settings.get("period_start"), book.settings.get("period_end")),
        "roster": _roster(book, found),
        "leading_group": _leading_group(book, found),
        "activities": _activities(book, found),
        "discussion_groups": _discussion_groups(book, found),
        "feedback": _feedback(book, found),
        "essays": _essays(book, found),
        "visits": _visits(book, found),
        "ideas": _ideas(book, found),
        "projects": _projects(book, found),
        "inspections": _inspections(book, found),
    }
    facts["other_visits"] = {"kinds": [k["kind"] for k in facts["visits"]["by_kind"]]}
    data_rows = {
        table.sheet.name: tuple(table.data[ROW].tolist()) for table in book.tables.values()
    }
    summary = Summary(
        _per_unit(book), _category_tables(book), facts, dict(found.items), data_rows, None
    )
    summary.gaps = figure_gaps(book, [label for label, _ in summary.key_figures()])
    return summary


# -- helpers --


def _date(value: Any) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def _span(row: pd.Series, key: str = "date") -> nm.DateSpan | None:
    start, end = _date(row.get(key)), _date(row.get(f"{key}_end", row.get(key)))
    return nm.DateSpan(start, end or start) if start else None


_KEYS: dict[str, str] = {}  # name_key of each text met during one aggregate()


def _key(value: Any) -> str:
    """:func:`normalise.name_key`, each distinct text keyed once per run (a big book's names
    outnumber normalise's own cache)."""
    if not isinstance(value, str):
        return nm.name_key(value)
    key = _KEYS.get(value)
    if key is None:
        key = _KEYS[value] = nm.name_key(value)
    return key


def _learn_keys(texts: list[str]) -> None:
    """Key many distinct texts with one name_key call on them joined, not one call each."""
    new = [t for t in texts if t not in _KEYS]
    _KEYS.update(zip(new, nm.name_keys(new), strict=True))


def _unique(values: Any) -> Iterable[Any]:
    """Distinct values in first-seen order: a column's through pandas' hash table."""
    if isinstance(values, pd.Series):
        return values.unique()
    return dict.fromkeys(values)


def _distinct(values: Any, limit: int = 0) -> list[str]:
    """Distinct display values in first-seen order, compared by name_key; with ``limit``, the
    first ``limit`` of them only."""
    texts = [v for v in _unique(values) if isinstance(v, str) and v]
    if not limit:
        _learn_keys(texts)
    seen: dict[str, str] = {}
    for text in texts:
        seen.setdefault(_key(text), text)
        if len(seen) == limit:
            break
    return list(seen.values())


def _keys(values: Any) -> set[str]:
    """The name_keys of a column's non-blank values."""
    present = [v for v in _unique(values) if v is not None and not _isna(v)]
    _learn_keys([v for v in present if isinstance(v, str)])
    return {_key(v) for v in present}


def _rows_by(data: pd.DataFrame, column: str) -> dict[Any, pd.DataFrame]:
    """Each value's rows in the frame's order: one grouping, not one comparison a value."""
    return {value: rows for value, rows in data.groupby(column, sort=False)}


def _isna(value: Any) -> bool:
    return not isinstance(value, (tuple, list)) and bool(pd.isna(value))


def _people(cells: pd.Series) -> list[str]:
    """Distinct names of a several-names column (each cell a tuple), first seen first."""
    return _distinct(n for names in _unique(cells.dropna()) for n in names)


def _in_order(values: Any, order: Iterable[str]) -> list[str]:
    """Values present, the list's order first, then values typed outside the list."""
    present = [v for v in _unique(values) if isinstance(v, str) and v]
    order = list(order)
    found, listed = set(present), set(order)
    return [v for v in order if v in found] + [v for v in present if v not in listed]


def _split_list(text: Any) -> list[str]:
    if isinstance(text, tuple):  # a several-units or several-names cell, already split
        return list(text)
    parsed = nm.parse_persons(text) if isinstance(text, str) else nm.BLANK
    return list(parsed.value or ())


def _records(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    return [{k: _plain(row[k]) for k in keys} for _, row in frame.iterrows()]


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is None or (not isinstance(value, (tuple, list)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _count(series: pd.Series) -> int:
    """The sum of an integer column, blanks left out."""
    return int(series.dropna().sum())


def _duration(start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    """Days, and whole months only when the period really is whole months (3/1-3/31)."""
    if not (start and end):
        return {"days": None, "months": None}
    return {"days": (end - start).days + 1, "months": nm.whole_months(start, end)}


def _list(book: CampaignBook, name: str) -> ChoiceList | None:
    return book.definition.lists.get(name)


def _flagged(book: CampaignBook, list_name: str, header: str) -> set[str]:
    choices = _list(book, list_name)
    return set(choices.where(header, "是")) if choices else set()


def senior_ranks(book: CampaignBook) -> set[str]:
    return _flagged(book, "职级", "副科以上")


def middle_ranks(book: CampaignBook) -> set[str]:
    return _flagged(book, "职级", "中层以上")


def exempt_unit_kinds(book: CampaignBook) -> set[str]:
    """Unit kinds not expected to report (领导班子): the rule's list and the 选项 flag."""
    return set(book.definition.rules.get("exempt_unit_kinds", ())) | _flagged(
        book, "单位类别", "不需填报"
    )


def _roster_keys(book: CampaignBook) -> dict[str, str]:
    return {_key(u): u for u in _distinct(book.frame("units")["name"])}


# -- sections --


def _roster(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    units, staff = book.frame("units"), book.frame("staff")
    headcount = _count(units["headcount"])
    result = {
        "units": len(_distinct(units["name"])),
        "staff": len(staff) or headcount,
        "by_kind": units["kind"].value_counts().to_dict(),
    }
    found.add("roster.units", "单位数", result["units"], "“单位”表的单位数", "units", units)
    if len(staff):
        found.add("roster.staff", "干部职工人数", result["staff"], "“人员”表的人数", "staff", staff)
    else:
        found.add("roster.staff", "干部职工人数", headcount, "“单位”表干部职工人数之和")
    return result


def _people_words(rows: pd.DataFrame) -> list[str]:
    """Posts counted as people: 三名副局长 is three people, not one post."""
    words = []
    posts = rows["post"].where(rows["post"].notna(), rows["name"])
    for post, count in posts.dropna().value_counts(sort=False).items():
        words.append(f"{_cn_count(count)}名{post}" if count > 1 else str(post))
    return words


def _cn_count(number: int) -> str:
    from .wording import cn

    return "两" if number == 2 else cn(number)


def _leading_group(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("leading_group")
    units = book.frame("units")
    roles = {
        role: data[data["role"] == role]
        for role in ("组长", "副组长", "成员", "实施", "督查", "协调")
    }
    exempt = exempt_unit_kinds(book)
    non_leadership = units[~units["kind"].isin(exempt)]
    leadership_units = {_key(u) for u in _unique(units.loc[units["kind"].isin(exempt), "name"])}
    members = roles["成员"]
    staff = book.frame("staff")
    in_leadership = staff["unit"].map(lambda u: isinstance(u, str) and _key(u))
    leadership = set(map(nm.name_key, staff.loc[in_leadership.isin(leadership_units), "name"]))
    heads = set(map(nm.name_key, roles["组长"]["name"].dropna()))
    deputies = set(map(nm.name_key, roles["副组长"]["name"].dropna()))
    people = data[data["role"].isin(["组长", "副组长", "成员"])]
    assigned = data[data["duty"].notna() & data["role"].isin(["组长", "副组长", "成员"])]
    result = {
        "leaders": _distinct(roles["组长"]["post"].fillna(roles["组长"]["name"])),
        "deputies_are_other_leaders": bool(deputies) and deputies == leadership - heads,
        "deputies": _people_words(roles["副组长"]),
        "deputy_count": len(roles["副组长"]),
        "members": _distinct(members["name"]),
        "member_words": _member_words(members),
        "member_count": len(members),
        "member_posts": _distinct(members["post"]),
        "all_unit_heads": len(non_leadership) > 0
        and _keys(members["unit"]) >= _keys(non_leadership["name"]),
        "duties": {duty: _distinct(roles[duty]["unit"]) for duty in ("实施", "督查", "协调")},
        "size": len(people),
        "assignments": [
            {"who": r["name"] or r["post"], "duty": _duty(r["duty"])}
            for r in _records(assigned.head(LISTED_NAMES), ["name", "post", "duty"])
        ],
        "more_assignments": len(assigned) > LISTED_NAMES,
    }
    add = found.add
    add(
        "lg.leaders",
        "组长",
        result["leaders"],
        "“领导小组”表小组职务为组长的职务",
        "leading_group",
        roles["组长"],
    )
    add(
        "lg.deputies",
        "副组长",
        result["deputies"],
        "副组长按职务计人数",
        "leading_group",
        roles["副组长"],
    )
    add("lg.members", "成员", result["members"], "小组职务为成员的姓名", "leading_group", members)
    duties = data[data["role"].isin(["实施", "督查", "协调"])]
    add(
        "lg.duties",
        "职责分工",
        result["duties"],
        "实施、督查、协调各行的单位",
        "leading_group",
        duties,
    )
    add(
        "lg.size",
        "领导小组人数",
        result["size"],
        "组长、副组长、成员的行数",
        "leading_group",
        people,
    )
    add(
        "lg.assignments",
        "个人分工",
        result["assignments"],
        "填了“分工”的成员",
        "leading_group",
        assigned,
    )
    return result


def _member_words(members: pd.DataFrame) -> str:
    """Members by name, or a count when there are many."""
    names = _distinct(members["name"])
    if len(names) > LISTED_NAMES or not names:
        return f"{len(members)}名同志" if len(members) else ""
    return "、".join(names)


def _duty(text: Any) -> str:
    text = str(text).strip().rstrip("。；，")
    return text if text.startswith("负责") else f"负责{text}"


SECTIONS = ("组织领导", "宣传动员", "学习讨论", "征求意见", "系列活动", "督查", "总结")
DEFAULT_SECTION = "系列活动"  # a kind whose 所属部分 is blank or unknown is written here
RECORD_KEYS = (
    "title", "unit", "group", "place", "leader", "participants", "teams", "daily_staff", "content"
)  # fmt: skip


def _activities(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("activities").sort_values(["date", ROW], kind="stable")
    kinds = _list(book, "活动类型")
    order = _in_order(data["kind"], kinds.values if kinds else ())
    by_kind: dict[str, list[dict[str, Any]]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    of_kind = _rows_by(data, "kind")
    for kind in order:
        rows = of_kind[kind]
        by_kind[kind] = _activity_records(rows.head(LISTED_TITLES))  # many rows: a few named
        summaries[kind] = _kind_summary(kind, kinds, rows, by_kind[kind])
        found.add(
            f"activities.{kind}",
            f"活动：{kind}",
            summaries[kind],
            f"“活动”表活动类型为{kind}的行：次数、起止日期、参加人数之和",
            "activities",
            rows,
        )
    sections: dict[str, list[str]] = {}
    for kind, summary in summaries.items():
        sections.setdefault(summary["section"], []).append(kind)
    study = [k for k in sections.get("学习讨论", []) if k != "分组讨论"]
    return {
        "by_kind": by_kind,
        "kinds": summaries,
        "sections": sections,
        "study_forms": [summaries[k]["title"] for k in study],
        "count": len(data),
    }


def _activity_records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for _, row in rows.iterrows():
        record = {k: _plain(row[k]) for k in RECORD_KEYS}
        record["span"] = _span(row)
        record["places"] = _split_list(row["place"])
        records.append(record)
    return records


def _kind_summary(
    kind: str, kinds: ChoiceList | None, rows: pd.DataFrame, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """How many, when, who took part, and the titles, of one kind of activity."""
    first = _date(rows["date"].min())
    last = _date(rows["date_end"].fillna(rows["date"]).max())
    titles = _distinct(rows["title"], limit=LISTED_TITLES + 1)  # enough to say "等"
    section = kinds.extra(kind, "所属部分", DEFAULT_SECTION) if kinds else DEFAULT_SECTION
    return {
        "kind": kind,
        "count": len(rows),
        "single": len(rows) == 1,
        "unit": kinds.extra(kind, "计数单位", "次") if kinds else "次",
        "verb": kinds.extra(kind, "说法", "开展") if kinds else "开展",
        "section": section if section in SECTIONS else DEFAULT_SECTION,
        "span": nm.DateSpan(first, last) if first and last else None,
        "title": titles[0] if len(titles) == 1 else kind,
        "titles": titles[:LISTED_TITLES],
        "more_titles": len(titles) > LISTED_TITLES,
        "participants": _count(rows["participants"]),
        "teams": _count(rows["teams"]),
        "places": _distinct(p for r in records for p in r["places"]),
        "groups": _distinct(rows["group"]),
        "records": records,
        "all_records": len(rows) <= LISTED_TITLES,
    }


def _discussion_groups(book: CampaignBook, found: _Facts) -> int:
    data = book.frame("activities")
    rows = data[(data["kind"] == "分组讨论") & data["group"].notna()]
    count = len(_distinct(rows["group"]))
    found.add(
        "discussion_groups", "讨论小组数", count, "分组讨论行的讨论小组去重", "activities", rows
    )
    return count


def _feedback(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("feedback")
    questionnaires = book.frame("questionnaires")
    channels = _list(book, "征求渠道")
    topics = []
    if not data.empty:
        topic_keys = {t: _key(t) for t in _unique(data["topic"]) if isinstance(t, str)}
        keyed = data.assign(_key=data["topic"].map(topic_keys))
        keyed = keyed[keyed["_key"].notna()]
        counts = keyed.groupby("_key", sort=False).agg(
            topic=("topic", "first"),
            count=("topic", "size"),
            first_row=(ROW, "min"),
            owners=("owner", lambda s: _distinct(s)),
            units=("owner_unit", lambda s: _distinct(s)),
            measures=("measure", lambda s: _distinct(s)),
            done=("status", lambda s: int((s == "已整改").sum())),
        )
        counts = counts.sort_values(["count", "first_row"], ascending=[False, True])
        topics = counts.drop(columns="first_row").to_dict("records")
    with_owner = int(data["owner"].notna().sum())
    present = _in_order(data["channel"], channels.values if channels else ())
    rectified, in_progress = data[data["status"] == "已整改"], data[data["status"] == "整改中"]
    returned = questionnaires[questionnaires["returned"].notna()]
    result = {
        "count": len(data),
        "channels": present,
        "channel_words": [_channel_word(channels, c) for c in present],
        "questionnaires_out": _count(questionnaires["handed_out"]),
        "questionnaires_back": _count(questionnaires["returned"]),
        "questionnaire_rows": len(questionnaires),
        "topics": topics,
        "topics_shown": topics[:LISTED_NAMES],
        "topics_table": topics[:TABLE_ROWS],
        "more_topics": len(topics) > LISTED_NAMES,
        "with_measure": int(data["measure"].notna().sum()),
        "with_owner": with_owner,
        "all_owned": len(data) > 0 and with_owner == len(data),
        "rectified": len(rectified),
        "in_progress": len(in_progress),
    }
    add = found.add
    add("feedback.count", "征求到的意见建议", len(data), "“意见建议”表的行数", "feedback", data)
    add("feedback.channels", "征求渠道", present, "征求渠道去重", "feedback", data)
    add(
        "feedback.topics",
        "归纳意见",
        topics,
        "按归纳意见归并",
        "feedback",
        data[data["topic"].notna()],
    )
    add(
        "feedback.rectified",
        "已整改",
        len(rectified),
        "整改状态为已整改的行数",
        "feedback",
        rectified,
    )
    add(
        "feedback.in_progress",
        "整改中",
        len(in_progress),
        "整改状态为整改中的行数",
        "feedback",
        in_progress,
    )
    add(
        "questionnaires.out",
        "发放征求意见表",
        result["questionnaires_out"],
        "发放份数之和",
        "questionnaires",
        questionnaires,
    )
    add(
        "questionnaires.back",
        "回收征求意见表",
        result["questionnaires_back"],
        "回收份数之和",
        "questionnaires",
        returned,
    )
    return result


ROW_CHANNELS = ("征求意见表", "走访", "座谈会")  # stated from their own sheets or rows


def _channel_word(channels: ChoiceList | None, channel: str) -> str:
    """How the report names a channel: its 说法, else the channel itself (not the row ones)."""
    word = channels.extra(channel, "说法") if channels else ""
    return word or ("" if channel in ROW_CHANNELS else channel)


def _essays(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("essays")
    data = data.assign(kind=data["kind"].fillna(DEFAULT_ESSAY_KIND))
    rounding = book.definition.rules.get("essay_target_rounding", 100)
    submitted = data[data["submitted"].fillna(False).astype(bool)]
    essays = data[data["kind"] == DEFAULT_ESSAY_KIND]
    lengths = essays["length"].dropna()
    authors = _distinct(data["author"])
    middle, senior = middle_ranks(book), senior_ranks(book)
    all_middle = not data.empty and bool(data["rank"].isin(middle).all())
    staff = book.frame("staff")
    expected_rows = staff[staff["rank"].isin(middle)] if all_middle else staff
    expected = _keys(expected_rows["name"])
    written = _keys(essays["author"])
    kinds = _list(book, "文章类别")
    by_kind = data["kind"].value_counts()
    order = _in_order(data["kind"], kinds.values if kinds else ())
    result = {
        "count": len(data),
        "by_kind": [{"kind": k, "count": int(by_kind[k])} for k in order],
        "essays": len(essays),
        "several_kinds": len(order) > 1,
        "one_each": order == [DEFAULT_ESSAY_KIND] and len(authors) == len(data),
        "authors": len(authors),
        "all_middle_or_above": all_middle,
        "everyone": bool(expected) and expected <= written,
        "average_length": int(round(float(lengths.mean()) / rounding) * rounding)
        if len(lengths)
        else 0,
        "submitted": len(submitted),
        "submitted_all_senior": len(submitted) > 0 and bool(submitted["rank"].isin(senior).all()),
        "recipient": book.settings.get("essay_recipient"),
    }
    add = found.add
    add("essays.count", "文章篇数", len(data), "“心得体会”表的行数（按类别分计）", "essays", data)
    add("essays.authors", "作者人数", len(authors), "作者去重", "essays", data)
    add(
        "essays.average_length",
        "心得体会平均字数",
        result["average_length"],
        f"类别为{DEFAULT_ESSAY_KIND}的字数平均，取整到{rounding}",
        "essays",
        essays[essays["length"].notna()],
    )
    add("essays.submitted", "已上报篇数", len(submitted), "是否上报为是的行数", "essays", submitted)
    return result


def _visits(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("visits")
    kinds = _list(book, "走访对象")
    order = _in_order(data["target_kind"], kinds.values if kinds else ())
    by_kind = []
    of_kind = _rows_by(data, "target_kind")
    for kind in order:
        rows = of_kind[kind]
        entry = {
            "kind": kind,
            "rows": len(rows),
            "targets": len(_distinct(rows["target_name"])),
            "measure": kinds.extra(kind, "量词", "个") if kinds else "个",
            "visitors": len(_people(rows["visitors"])),
            "solved": _count(rows["solved"]),
        }
        by_kind.append(entry)
        found.add(
            f"visits.{kind}",
            f"走访{kind}",
            entry,
            f"对象类别为{kind}的行：对象名称去重",
            "visits",
            rows,
        )
    top = max(by_kind, key=lambda e: e["rows"]) if by_kind else None
    main = top["kind"] if top else None
    focus = of_kind[main] if main else data.iloc[0:0]
    visitors = top["visitors"] if top else 0  # the main kind's entry counted them already
    targets = top["targets"] if top else 0
    all_visitors = len(_people(data["visitors"]))
    first, last = _date(focus["date"].min()), _date(focus["date"].max())
    help_counts = focus["help_with"].value_counts()
    solved_rows = data[data["solved"].notna()]
    result = {
        "rows": len(data),
        "main_kind": main,
        "main_measure": next((e["measure"] for e in by_kind if e["kind"] == main), "个"),
        "main_rows": len(focus),
        "visitors": visitors,
        "all_visitors": all_visitors,
        "targets": targets,
        "enterprises": targets,
        "first": first,
        "last": last,
        "help_with": [h for h in help_counts.index if h != "其他"][:3],
        "units": len(_distinct(focus["unit"])),
        "solved": _count(data["solved"]),
        "by_kind": by_kind,
        "others": [e for e in by_kind if e["kind"] != main],
    }
    add = found.add
    add("visits.rows", "走访次数", len(data), "“走访”表的行数", "visits", data)
    add(
        "visits.visitors",
        f"走访{main or ''}的干部职工",
        visitors,
        "走访人拆分去重",
        "visits",
        focus,
    )
    add(
        "visits.all_visitors",
        "参加走访的干部职工",
        all_visitors,
        "走访人拆分去重",
        "visits",
        data,
    )
    add("visits.targets", f"走访{main or ''}数", result["targets"], "对象名称去重", "visits", focus)
    add("visits.solved", "帮助解决问题", result["solved"], "解决问题数之和", "visits", solved_rows)
    return result


def _ideas(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("ideas")
    units = book.frame("units")
    exempt = exempt_unit_kinds(book)
    expected = _keys(units.loc[~units["kind"].isin(exempt), "name"])
    with_ideas = _keys(data["unit"])
    adopted = data[data["adopted"].fillna(False).astype(bool)]
    reported = data[data["reported"].fillna(False).astype(bool)]
    result = {
        "count": len(data),
        "units_with_ideas": len(with_ideas & expected) if expected else len(with_ideas),
        "units_expected": len(expected),
        "every_unit": bool(expected) and expected <= with_ideas,
        "units_without": sorted(expected - with_ideas),
        "reported": len(reported),
        "adopted": len(adopted),
        "recipient": book.settings.get("idea_recipient"),
    }
    add = found.add
    add("ideas.count", "金点子条数", len(data), "“金点子”表的行数", "ideas", data)
    add(
        "ideas.units",
        "推荐金点子的单位",
        result["units_with_ideas"],
        "推荐单位去重（名册内）",
        "ideas",
        data,
    )
    add("ideas.adopted", "已采纳", len(adopted), "是否采纳为是的行数", "ideas", adopted)
    add("ideas.reported", "已上报", len(reported), "是否上报为是的行数", "ideas", reported)
    return result


def _projects(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("projects").sort_values(["seq", ROW], na_position="last", kind="stable")
    keys = ["seq", "name", "unit", "owner", "deadline", "progress", "milestones"]
    rows = _records(data.head(TABLE_ROWS), keys)  # the report's table; the rest stays in the book
    years = sorted({d.year for d in map(_date, data["deadline"]) if d})
    order = _list(book, "项目进度")
    counts = data["progress"].value_counts()
    result = {
        "count": len(data),
        "rows": rows,
        "more_rows": len(data) > TABLE_ROWS,
        "year": years[0] if years else book.year,
        "units": _distinct(data["unit"]),
        "with_timetable": int(data["milestones"].notna().sum()),
        "by_progress": counts.to_dict(),
        "progress": [
            {"status": s, "count": int(counts[s])}
            for s in _in_order(data["progress"], order.values if order else ())
        ],
    }
    found.add("projects.count", "实事项目", len(data), "“实事项目”表的行数", "projects", data)
    found.add(
        "projects.progress", "实事项目进度", result["progress"], "按进度计数", "projects", data
    )
    return result


def _inspections(book: CampaignBook, found: _Facts) -> dict[str, Any]:
    data = book.frame("inspections")
    methods = _list(book, "检查方式")
    roster = _roster_keys(book)
    inspected = {_key(u) for cell in _unique(data["inspected"]) for u in _split_list(cell)}
    counts = data["method"].value_counts()
    present = _in_order(data["method"], methods.values if methods else ())
    result = {
        "count": len(data),
        "inspectors": _distinct(data["inspector"])[:LISTED_NAMES],
        "more_inspectors": len(_distinct(data["inspector"])) > LISTED_NAMES,
        "methods": present,
        "by_method": [{"method": m, "count": int(counts[m])} for m in present],
        "several_methods": len(present) > 1,
        "good_practices": int(data["good_practice"].notna().sum()),
        "inspected_units": len(inspected & set(roster)),
    }
    found.add("inspections.count", "督查次数", len(data), "“督查”表的行数", "inspections", data)
    found.add(
        "inspections.units",
        "被督查单位",
        result["inspected_units"],
        "被检查单位拆分去重，只计“单位”表中的单位",
        "inspections",
        data,
    )
    return result


# -- tables for the 汇总 sheet --

PER_UNIT_COLUMNS = {
    # title: (sheet key, unit column, how to count: "rows" or a column to sum)
    "活动（次）": ("activities", "unit", "rows"),
    "走访（次）": ("visits", "unit", "rows"),
    "金点子（条）": ("ideas", "unit", "rows"),
    "心得体会（篇）": ("essays", "unit", "rows"),
    "征求意见表（份）": ("questionnaires", "unit", "handed_out"),
    "负责整改意见（条）": ("feedback", "owner_unit", "rows"),
    "实事项目（项）": ("projects", "unit", "rows"),
    "接受督查（次）": ("inspections", "inspected", "rows"),
}
UNIT_HEADER = "单位"
TOTAL_LABEL = "合计"
OTHER_LABEL = "（其他）"  # rows naming a unit not in the roster still count, on a row of their own


def _per_unit(book: CampaignBook) -> pd.DataFrame:
    """One row a roster unit (in roster order), additive counts only, then the 合计 row."""
    roster = _roster_keys(book)
    columns: dict[str, list[int]] = {}
    other: dict[str, int] = {}
    for title, (sheet, unit_column, measure) in PER_UNIT_COLUMNS.items():
        data = book.frame(sheet)
        counts = _per_unit_key(data[unit_column], None if measure == "rows" else data[measure])
        columns[title] = [counts.get(k, 0) for k in roster]
        other[title] = sum(v for k, v in counts.items() if k not in roster)
    units = list(roster.values())
    if any(other.values()):  # added before the frame is made: with no roster unit, the unit
        units.append(OTHER_LABEL)  # column would be numbers and refuse the label
        for title, count in other.items():
            columns[title].append(count)
    table = pd.DataFrame({UNIT_HEADER: units, **columns})
    totals = {UNIT_HEADER: TOTAL_LABEL} | {c: int(table[c].sum()) for c in PER_UNIT_COLUMNS}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def _per_unit_key(cells: pd.Series, amounts: pd.Series | None) -> dict[str, int]:
    """Rows (or ``amounts``, blanks left out) by the roster key of the unit a cell names; a
    cell naming several units counts once for each. Summed by distinct cell first: a sheet
    of 100 000 rows names a few dozen units."""
    codes, values = pd.factorize(cells)  # a blank cell is -1
    counted = codes >= 0
    weights = None
    if amounts is not None:
        weights = amounts.to_numpy(dtype="float64", na_value=np.nan)
        counted &= ~np.isnan(weights)
        weights = weights[counted]
    rows = np.bincount(codes[counted], minlength=len(values))
    sums = rows if weights is None else np.bincount(codes[counted], weights, len(values))
    found: dict[str, float] = {}
    for value, total, count in zip(values, sums.tolist(), rows.tolist(), strict=True):
        for key in _unit_keys(value) if count else ():  # every amount of it blank
            if key is not None:
                found[key] = found.get(key, 0) + total
    return {key: int(total) for key, total in found.items()}


def _unit_keys(value: Any) -> list[str | None]:
    """The roster keys a unit cell names: one, several (a units cell), or none."""
    if isinstance(value, tuple):
        return [_key(u) for u in value] or [None]
    return [_key(value)] if isinstance(value, str) and value else [None]


def _category_tables(book: CampaignBook) -> dict[str, pd.DataFrame]:
    specs = {
        "活动类型": ("activities", "kind"),
        "走访对象": ("visits", "target_kind"),
        "意见征求渠道": ("feedback", "channel"),
        "整改状态": ("feedback", "status"),
        "文章类别": ("essays", "kind"),
        "实事项目进度": ("projects", "progress"),
        "督查方式": ("inspections", "method"),
    }
    tables = {}
    for title, (sheet, key) in specs.items():
        column = book.definition.sheet(sheet).column(key)
        data = book.frame(sheet)
        counts = data[key].value_counts()
        values = _in_order(list(column.choices) + list(counts.index), ())
        tables[title] = pd.DataFrame(
            {column.header: values, "数量": [int(counts.get(c, 0)) for c in values]}
        )
    return tables
