"""汇总: per-unit and total tables, and the named facts the report template uses.

Every figure the summary document states is computed here from rows; the
template only words them. Distinct counts use :func:`normalise.name_key`, so the
same enterprise typed twice with a stray space counts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import normalise as nm
from .model import CampaignBook

STUDY_KINDS = ("中心组学习", "民主生活会", "分组学习", "集中夜学")
SENIOR_RANKS = ("局领导", "正科", "副科")  # 副科以上
MIDDLE_RANKS = (*SENIOR_RANKS, "中层")  # 中层以上


@dataclass
class Summary:
    """What 汇总 produces: the per-unit table, category tables and the named facts."""

    per_unit: pd.DataFrame  # one row a unit plus a 合计 row; additive counts only
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # Chinese title -> table
    facts: dict[str, Any] = field(default_factory=dict)  # named facts for the template

    def key_figures(self) -> list[tuple[str, Any]]:
        """The headline numbers, labelled in Chinese, for the 汇总 sheet and the CLI."""
        f = self.facts
        return [
            ("参加走访企业的干部职工（人）", f["visits"]["visitors"]),
            ("走访企业（家，去重）", f["visits"]["enterprises"]),
            ("走访企业（次）", f["visits"]["rows"]),  # enterprise visits only, not all 走访
            ("讨论小组（个）", f["discussion_groups"]),
            ("发放征求意见表（份）", f["feedback"]["questionnaires_out"]),
            ("回收征求意见表（份）", f["feedback"]["questionnaires_back"]),
            ("征求到的意见建议（条）", f["feedback"]["count"]),
            ("撰写心得体会（篇）", f["essays"]["count"]),
            ("心得体会上报（篇）", f["essays"]["submitted"]),
            ("心得体会平均字数", f["essays"]["average_length"]),
            ("金点子（条）", f["ideas"]["count"]),
            ("推荐金点子的单位（个）", f["ideas"]["units_with_ideas"]),
            ("实事项目（项）", f["projects"]["count"]),
            ("督查（次）", f["inspections"]["count"]),
        ]


def aggregate(book: CampaignBook) -> Summary:
    """Compute the summary of ``book`` (rows with unreadable values count as far as they can)."""
    facts = {
        "settings": dict(book.settings),
        "duration": _duration(book.settings.get("period_start"), book.settings.get("period_end")),
        "leading_group": _leading_group(book),
        "activities": _activities(book),
        "discussion_groups": _discussion_groups(book),
        "feedback": _feedback(book),
        "essays": _essays(book),
        "visits": _visits(book),
        "other_visits": _other_visits(book),
        "ideas": _ideas(book),
        "projects": _projects(book),
        "inspections": _inspections(book),
    }
    return Summary(_per_unit(book), _category_tables(book), facts)


# -- helpers --


def _date(value: Any) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def _span(row: pd.Series, key: str = "date") -> nm.DateSpan | None:
    start, end = _date(row.get(key)), _date(row.get(f"{key}_end", row.get(key)))
    return nm.DateSpan(start, end or start) if start else None


def _distinct(values: Any) -> list[str]:
    """Distinct display values in first-seen order, compared by name_key."""
    seen: dict[str, str] = {}
    for value in values:
        if isinstance(value, str) and value and nm.name_key(value) not in seen:
            seen[nm.name_key(value)] = value
    return list(seen.values())


def _in_order(values: Any, order: tuple[str, ...]) -> list[str]:
    present = set(values)
    return [v for v in order if v in present]


def _split_list(text: Any) -> list[str]:
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


def _duration(start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    if not (start and end):
        return {"days": None, "months": None}
    days = (end - start).days + 1
    months = (
        round(days / 30.4) if days >= 27 and abs(days - 30.4 * round(days / 30.4)) <= 3 else None
    )
    return {"days": days, "months": months}


# -- sections --


def _leading_group(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("leading_group")
    units = book.frame("units")
    roles = {
        role: data[data["role"] == role]
        for role in ("组长", "副组长", "成员", "实施", "督查", "协调")
    }
    non_leadership = units[units["kind"] != "局领导"]
    members = roles["成员"]
    staff = book.frame("staff")
    leadership = set(map(nm.name_key, staff.loc[staff["rank"] == "局领导", "name"].dropna()))
    heads = set(map(nm.name_key, roles["组长"]["name"].dropna()))
    deputies = set(map(nm.name_key, roles["副组长"]["name"].dropna()))
    return {
        "leaders": _distinct(roles["组长"]["post"].fillna(roles["组长"]["name"])),
        "deputies_are_other_leaders": bool(deputies) and deputies == leadership - heads,
        "deputies": _distinct(roles["副组长"]["post"].fillna(roles["副组长"]["name"])),
        "deputy_count": len(roles["副组长"]),
        "members": _distinct(members["name"]),
        "member_posts": _distinct(members["post"]),
        "all_unit_heads": len(non_leadership) > 0
        and {nm.name_key(u) for u in members["unit"].dropna()}
        >= {nm.name_key(u) for u in non_leadership["name"].dropna()},
        "duties": {duty: _distinct(roles[duty]["unit"]) for duty in ("实施", "督查", "协调")},
    }


def _activities(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("activities").sort_values(["date", "_row"], kind="stable")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for _, row in data.iterrows():
        if not isinstance(row["kind"], str):
            continue
        record = {
            k: _plain(row[k])
            for k in (
                "title",
                "unit",
                "group",
                "place",
                "leader",
                "participants",
                "daily_staff",
                "content",
            )
        }
        record["span"] = _span(row)
        record["places"] = _split_list(row["place"])
        by_kind.setdefault(row["kind"], []).append(record)
    study = [by_kind[k][0]["title"] for k in STUDY_KINDS if k in by_kind]
    return {"by_kind": by_kind, "study_forms": study, "count": len(data)}


def _discussion_groups(book: CampaignBook) -> int:
    data = book.frame("activities")
    return len(_distinct(data.loc[data["kind"] == "分组讨论", "group"]))


def _feedback(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("feedback")
    questionnaires = book.frame("questionnaires")
    channel_order = book.definition.sheet("feedback").column("channel").choices
    topics = []
    if not data.empty:
        keyed = data.assign(
            _key=data["topic"].map(lambda t: nm.name_key(t) if isinstance(t, str) else None)
        )
        keyed = keyed[keyed["_key"].notna()]
        counts = keyed.groupby("_key", sort=False).agg(
            topic=("topic", "first"),
            count=("topic", "size"),
            first_row=("_row", "min"),
            owners=("owner", lambda s: _distinct(s)),
            units=("owner_unit", lambda s: _distinct(s)),
            measures=("measure", lambda s: _distinct(s)),
            done=("status", lambda s: int((s == "已整改").sum())),
        )
        counts = counts.sort_values(["count", "first_row"], ascending=[False, True])
        topics = counts.drop(columns="first_row").to_dict("records")
    with_owner = int(data["owner"].notna().sum())
    return {
        "count": len(data),
        "channels": _in_order(data["channel"].dropna(), channel_order),
        "questionnaires_out": int(questionnaires["handed_out"].sum()),
        "questionnaires_back": int(questionnaires["returned"].sum()),
        "topics": topics,
        "with_measure": int(data["measure"].notna().sum()),
        "with_owner": with_owner,
        "all_owned": len(data) > 0 and with_owner == len(data),
        "rectified": int((data["status"] == "已整改").sum()),
    }


def _essays(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("essays")
    rounding = book.definition.rules.get("essay_target_rounding", 100)
    submitted = data[data["submitted"].fillna(False).astype(bool)]
    lengths = data["length"].dropna()
    return {
        "count": len(data),
        "authors": len(_distinct(data["author"])),
        "all_middle_or_above": not data.empty and bool(data["rank"].isin(MIDDLE_RANKS).all()),
        "everyone": not data.empty and len(_distinct(data["author"])) >= _middle_staff(book),
        "average_length": int(round(float(lengths.mean()) / rounding) * rounding)
        if len(lengths)
        else 0,
        "submitted": len(submitted),
        "submitted_all_senior": len(submitted) > 0
        and bool(submitted["rank"].isin(SENIOR_RANKS).all()),
        "recipient": book.settings.get("essay_recipient"),
    }


def _middle_staff(book: CampaignBook) -> int:
    staff = book.frame("staff")
    return len(_distinct(staff.loc[staff["rank"].isin(MIDDLE_RANKS), "name"]))


def _visits(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("visits")
    enterprise = data[data["target_kind"] == "企业"]
    visitors = _distinct(name for names in enterprise["visitors"].dropna() for name in names)
    dates = [d for d in map(_date, enterprise["date"]) if d]
    help_counts = enterprise["help_with"].value_counts()
    return {
        "rows": len(enterprise),
        "visitors": len(visitors),
        "enterprises": len(_distinct(enterprise["target_name"])),
        "first": min(dates) if dates else None,
        "last": max(dates) if dates else None,
        "help_with": [h for h in help_counts.index if h != "其他"][:3],
        "units": len(_distinct(enterprise["unit"])),
    }


def _other_visits(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("visits")
    order = book.definition.sheet("visits").column("target_kind").choices
    return {"kinds": _in_order(data["target_kind"].dropna(), order)}


def _ideas(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("ideas")
    units = book.frame("units")
    exempt = set(book.definition.rules.get("exempt_unit_kinds", ()))
    expected = {nm.name_key(u) for u in units.loc[~units["kind"].isin(exempt), "name"].dropna()}
    with_ideas = {nm.name_key(u) for u in data["unit"].dropna()}
    return {
        "count": len(data),
        "units_with_ideas": len(with_ideas & expected),
        "units_expected": len(expected),
        "every_unit": bool(expected) and expected <= with_ideas,
        "units_without": sorted(expected - with_ideas),
        "reported": int(data["reported"].fillna(False).astype(bool).sum()),
        "recipient": book.settings.get("idea_recipient"),
    }


def _projects(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("projects").sort_values(["seq", "_row"], na_position="last", kind="stable")
    rows = _records(data, ["seq", "name", "unit", "owner", "deadline", "progress", "milestones"])
    years = sorted({d.year for d in map(_date, data["deadline"]) if d})
    return {
        "count": len(data),
        "rows": rows,
        "year": years[0] if years else book.year,
        "units": _distinct(data["unit"]),
        "with_timetable": int(data["milestones"].notna().sum()),
        "by_progress": data["progress"].value_counts().to_dict(),
    }


def _inspections(book: CampaignBook) -> dict[str, Any]:
    data = book.frame("inspections")
    order = book.definition.sheet("inspections").column("method").choices
    return {
        "count": len(data),
        "inspectors": _distinct(data["inspector"]),
        "methods": _in_order(data["method"].dropna(), order),
        "good_practices": int(data["good_practice"].notna().sum()),
        "inspected_units": len(_distinct(data["inspected"])),
    }


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


def _per_unit(book: CampaignBook) -> pd.DataFrame:
    """One row a roster unit (in roster order), additive counts only, then the 合计 row."""
    roster = _distinct(book.frame("units")["name"])
    keys = {nm.name_key(u): u for u in roster}
    table = pd.DataFrame({UNIT_HEADER: roster})
    other = {UNIT_HEADER: "（其他）"}
    for title, (sheet, unit_column, measure) in PER_UNIT_COLUMNS.items():
        data = book.frame(sheet)
        counts: dict[str, int] = {}
        if not data.empty:
            grouped = data.groupby(data[unit_column].map(_unit_key), dropna=True)
            series = grouped.size() if measure == "rows" else grouped[measure].sum()
            counts = {k: int(v) for k, v in series.items()}
        table[title] = [counts.get(k, 0) for k in keys]
        other[title] = sum(v for k, v in counts.items() if k not in keys)
    if any(v for k, v in other.items() if k != UNIT_HEADER):
        # rows naming a unit not in the roster still count, on one row of their own, added
        # after every column is filled (a row added midway left later columns a value short)
        table = pd.concat([table, pd.DataFrame([other])], ignore_index=True)
    table = table.groupby(UNIT_HEADER, sort=False, as_index=False).sum()
    totals = {UNIT_HEADER: TOTAL_LABEL} | {c: int(table[c].sum()) for c in PER_UNIT_COLUMNS}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def _unit_key(value: Any) -> str | None:
    return nm.name_key(value) if isinstance(value, str) and value else None


def _category_tables(book: CampaignBook) -> dict[str, pd.DataFrame]:
    specs = {
        "活动类型": ("activities", "kind"),
        "走访对象": ("visits", "target_kind"),
        "意见征求渠道": ("feedback", "channel"),
        "整改状态": ("feedback", "status"),
        "实事项目进度": ("projects", "progress"),
        "督查方式": ("inspections", "method"),
    }
    tables = {}
    for title, (sheet, key) in specs.items():
        column = book.definition.sheet(sheet).column(key)
        data = book.frame(sheet)
        counts = data[key].value_counts()
        tables[title] = pd.DataFrame(
            {
                column.header: list(column.choices),
                "数量": [int(counts.get(c, 0)) for c in column.choices],
            }
        )
    return tables
