"""校验: every rule the definition declares, plus a few cross-sheet rules.

``validate`` never raises on bad data and never changes it: it returns a
:class:`ValidationResult` listing every :class:`Issue`, most severe first.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import normalise as nm
from .definition import Column
from .model import ERROR, ROW, SEVERITY_ORDER, WARNING, CampaignBook, Issue, Table, display


@dataclass
class ValidationResult:
    """All issues of a book, sorted most severe first, then by sheet order, row and column."""

    issues: list[Issue] = field(default_factory=list)
    rule_names: dict[str, str] = field(default_factory=dict)  # for people; ids stay in JSON

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count_by_unit(self) -> dict[str, tuple[int, int]]:
        """Return unit -> (errors, warnings), for the 校验结果 sheet's 催报 view."""
        counts: dict[str, list[int]] = {}
        for issue in self.issues:
            if issue.severity not in (ERROR, WARNING):
                continue  # a note on how a header was read is nobody's to fix
            pair = counts.setdefault(issue.unit or "（未注明单位）", [0, 0])
            pair[issue.severity != ERROR] += 1
        return {
            unit: (e, w)
            for unit, (e, w) in sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
        }

    def summary_line(self) -> str:
        notes = len(self.issues) - len(self.errors) - len(self.warnings)
        if not self.errors and not self.warnings:
            return "校验通过：没有发现问题。" + (f"（{notes}条提示）" if notes else "")
        return f"校验完成：{len(self.errors)}个错误，{len(self.warnings)}个警告。" + (
            f"另有{notes}条提示。" if notes else ""
        )

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.to_json_dict() for i in self.issues],
        }


Rule = Callable[[CampaignBook], Iterable[Issue]]
RULES: list[Rule] = []
WARNING_RULES: set[Rule] = set()  # rules that never report an error


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


def warning_rule(function: Rule) -> Rule:
    """A rule whose findings are warnings only: what refuses a report never needs it."""
    WARNING_RULES.add(function)
    return rule(function)


def validate(book: CampaignBook) -> ValidationResult:
    """Return every issue of ``book``: what reading found, then each rule's findings."""
    issues = list(book.issues)
    for check in RULES:
        issues.extend(check(book))
    return ValidationResult(_in_order(book, issues), book.definition.rule_names)


def find_errors(book: CampaignBook) -> list[Issue]:
    """The errors of ``book`` (:attr:`ValidationResult.errors`), in the same order.

    A report is refused while these exist; the rules that only warn are not run (on a big
    book the duplicate-row check alone takes a second).
    """
    issues = [i for i in book.issues if i.severity == ERROR]
    for check in RULES:
        if check not in WARNING_RULES:
            issues.extend(i for i in check(book) if i.severity == ERROR)
    return _in_order(book, issues)


def _in_order(book: CampaignBook, issues: list[Issue]) -> list[Issue]:
    """Errors first, then by sheet (in the book's order), row and column."""
    order = {s.name: i for i, s in enumerate(book.definition.sheets)}
    return sorted(
        issues,
        key=lambda i: (SEVERITY_ORDER[i.severity], order.get(i.sheet, 99), i.row or 0, i.col or 0),
    )


# -- helpers --


class _Sheet:
    """Makes issues for one table, filling in position, header, typed value and unit.

    Rows, typed values and units are looked up in plain dicts built once a sheet, so a rule
    that reports many rows costs no pandas scalar access per issue.
    """

    def __init__(self, book: CampaignBook, table: Table) -> None:
        self.book, self.table, self.sheet = book, table, table.sheet
        self._lookups: dict[str, dict[Any, Any]] = {}
        self._raws: dict[str, dict[Any, Any] | None] = {}  # None: a column the sheet lacks

    def _lookup(self, name: str, series: Callable[[], pd.Series]) -> dict[Any, Any]:
        if name not in self._lookups:
            self._lookups[name] = series().to_dict()
        return self._lookups[name]

    def issue(
        self, rule_id: str, severity: str, index: Any, column: Column, **fields: Any
    ) -> Issue:
        row = int(self._lookup(ROW, lambda: self.table.data[ROW])[index])
        col = self.table.columns.get(column.key)
        raw = self._raw(column)
        typed = display(raw[index]) if raw is not None else ""
        unit = self.unit_of(index)
        message = self.book.definition.message(
            rule_id,
            header=column.header,
            value=fields.pop("value", typed),
            sheet=self.sheet.name,
            **fields,
        )
        return Issue(
            rule_id, severity, self.sheet.name, message, row, col, column.header, typed, unit
        )

    def issues(
        self,
        rule_id: str,
        severity: str,
        indices: Sequence[Any],
        column: Column,
        each: dict[str, Sequence[Any]] | None = None,
        **fields: Any,
    ) -> list[Issue]:
        """:meth:`issue` of each index: ``each`` holds the message fields that differ from
        issue to issue (one entry per index), ``fields`` those all of them share."""
        if each:
            extras = [
                dict(zip(each, more, strict=True)) for more in zip(*each.values(), strict=True)
            ]
        else:
            extras = [{}] * len(indices)
        return [
            self.issue(rule_id, severity, index, column, **fields, **extra)
            for index, extra in zip(indices, extras, strict=True)
        ]

    def _raw(self, column: Column) -> dict[Any, Any] | None:
        """The column's values as typed, by index; None for a column the sheet lacks."""
        if column.key not in self._raws:
            raw = self.table.raw
            self._raws[column.key] = raw[column.key].to_dict() if column.key in raw else None
        return self._raws[column.key]

    def unit_of(self, index: Any) -> str:
        key = self.sheet.unit_column
        if not key:
            return ""
        value = self._lookup(f"unit:{key}", lambda: self.table.data[key])[index]
        return value if isinstance(value, str) else ""

    def present(self, column: Column) -> bool:
        return column.key in self.table.columns


def _tables(book: CampaignBook) -> Iterator[_Sheet]:
    for table in book.tables.values():
        if not table.data.empty:
            yield _Sheet(book, table)


def _filled_sheet(book: CampaignBook, key: str) -> _Sheet | None:
    """The sheet ``key`` ready for a cross-sheet rule, or None when it has no rows."""
    table = book.table(key)
    return None if table.data.empty else _Sheet(book, table)


def _blank_mask(series: pd.Series) -> pd.Series:
    return map_distinct_all(series, nm.blank_flags).astype(bool)


def map_distinct(series: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``series.map(function)``, calling ``function`` once per distinct value.

    A column repeats few values (units, kinds, names); on a big sheet this is the difference
    between one call a cell and one call a value. Values equal in Python (1, 1.0, True)
    share one call, as they would as dict keys.
    """
    return map_distinct_all(series, lambda values: [function(v) for v in values])


def map_distinct_all(series: pd.Series, function: Callable[[list[Any]], list[Any]]) -> pd.Series:
    """Like :func:`map_distinct`, with one call of ``function`` on all distinct values."""
    try:
        codes, uniques = pd.factorize(series)  # in C: no Python work a row
    except TypeError:  # an unhashable value
        return pd.Series(function(series.tolist()), index=series.index, dtype=object)
    values = uniques.tolist()  # not list(): an extension array yields item by item
    missing = codes < 0
    if missing.any():  # None / NaN / NaT: the function sees the first of them as it is
        values.append(series[missing].iloc[0])
        codes = np.where(missing, len(values) - 1, codes)
    mapped = function(values)
    per_value = np.fromiter(mapped, dtype=object, count=len(mapped))
    return pd.Series(per_value[codes], index=series.index, dtype=object)


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def _name_keys(book: CampaignBook, sheet_key: str, column_key: str) -> set[str]:
    """The name keys of a column's values, each distinct value keyed once (a sheet's unit
    column repeats thirty names over a hundred thousand rows)."""
    frame = book.frame(sheet_key)
    if frame.empty:
        return set()
    present = frame[column_key].dropna()
    try:
        distinct = pd.unique(present).tolist()
    except TypeError:  # an unhashable value
        distinct = present.tolist()
    return {nm.name_key(v) for v in distinct}


# -- column rules from the definition --


@rule
def required(book: CampaignBook) -> Iterator[Issue]:
    for s in _tables(book):
        for column in s.sheet.columns:
            if column.required and s.present(column):
                # A blank cell reads as no value: only rows without one can be blank.
                unread = s.table.raw[column.key][s.table.data[column.key].isna().to_numpy()]
                yield from s.issues("required", ERROR, unread.index[_blank_mask(unread)], column)


@rule
def bounds(book: CampaignBook) -> Iterator[Issue]:
    for s in _tables(book):
        for column in s.sheet.columns:
            if column.type != "integer" or not s.present(column):
                continue
            values = s.table.data[column.key]
            low = values < column.min if column.min is not None else False
            high = values > column.max if column.max is not None else False
            for index in values.index[(low | high).fillna(False)]:
                yield s.issue(
                    "out_of_bounds",
                    ERROR,
                    index,
                    column,
                    min=f"{column.min:g}",
                    max=f"{column.max:g}",
                )


@rule
def units_in_roster(book: CampaignBook) -> Iterator[Issue]:
    roster = _name_keys(book, "units", "name")
    names = {nm.name_key(v): v for v in book.frame("units")["name"].dropna()} if roster else {}
    for s in _tables(book):
        for column in s.sheet.columns:
            if column.type in ("unit", "units") and s.present(column) and roster:
                values = s.table.data[column.key]
                known = map_distinct(
                    values, lambda v: all(nm.name_key(u) in roster for u in _several(v))
                ).astype(bool)
                unknown = values.notna() & ~known
                for index in values.index[unknown]:
                    hint = _suggestion(book, values[index], names)
                    yield s.issue("unknown_unit", ERROR, index, column, suggestion=hint)


def _suggestion(book: CampaignBook, typed: Any, names: dict[str, str]) -> str:
    """“是否为“城区工商所”？” for a misspelt unit: the closest roster name, if one is close."""
    key = nm.name_key(typed)[:100] if isinstance(typed, str) else ""
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return book.definition.hint("suggestion", name=names[close[0]]) if close else ""


def _several(value: object) -> tuple[str, ...]:
    """A units cell holds several names (城东村、城西村); a unit cell one."""
    return value if isinstance(value, tuple) else (str(value),)


@warning_rule
def persons_in_roster(book: CampaignBook) -> Iterator[Issue]:
    staff = _name_keys(book, "staff", "name")
    if not staff:
        return
    for s in _tables(book):
        if s.sheet.key == "staff":
            continue
        for column in s.sheet.columns:
            if column.type not in ("person", "persons") or not s.present(column):
                continue
            values = s.table.data[column.key].dropna()
            unknown = map_distinct(values, lambda v: _unknown_names(v, staff))
            for index, names in unknown[unknown.map(bool)].items():
                for name in names:
                    yield s.issue("unknown_person", WARNING, index, column, value=name)


def _unknown_names(value: Any, staff: set[str]) -> list[str]:
    names = value if isinstance(value, tuple) else (value,)
    return [name for name in names if nm.name_key(name) not in staff]


@rule
def dates_in_period(book: CampaignBook) -> Iterator[Issue]:
    start, end = book.settings.get("period_start"), book.settings.get("period_end")
    if not (start and end):
        return
    slack = dt.timedelta(days=book.definition.rules.get("date_slack_days", 7))
    for s in _tables(book):
        for column in s.sheet.columns:
            if not (column.in_period and s.present(column)):
                continue
            ends = f"{column.key}_end" if column.type == "daterange" else column.key
            data = s.table.data
            inside = (data[column.key] >= pd.Timestamp(start)) & (data[ends] <= pd.Timestamp(end))
            outside = data[column.key].notna() & ~inside.fillna(False).astype(bool)
            for index in data.index[outside]:
                first, last = _date(data.at[index, column.key]), _date(data.at[index, ends])
                far = first < start - slack or last > end + slack
                span = nm.DateSpan(first, last)
                meant = (
                    _excel_completed(s.table, index, column, nm.Period(start, end)) if far else None
                )
                yield s.issue(
                    "date_excel_year"
                    if meant
                    else "date_outside_period"
                    if far
                    else "date_near_period",
                    ERROR if far else WARNING,
                    index,
                    column,
                    normalised=display(span),
                    start=display(start),
                    end=display(end),
                    typed=f"{first.month}/{first.day}",
                    meant=display(meant),
                    year=first.year,
                )


def _excel_completed(table: Table, index: Any, column: Column, period: nm.Period) -> Any:
    """The date meant, when Excel completed a month/day with the year it was typed in.

    Typing 3/30 in a cell makes a real date of the current year; for a past campaign that is
    far outside the period, while 3月30日 of the campaign's year lies inside it.
    """
    typed = table.raw.at[index, column.key] if column.key in table.raw else None
    if not isinstance(typed, dt.date):
        return None
    typed = _date(typed)
    this_year = dt.date.today().year
    if typed.year not in (this_year, this_year - 1) or typed.year <= period.end.year:
        return None
    meant = nm.parse_date(f"{typed.month}月{typed.day}日", period.start.year, period).value
    return meant if meant and period.distance(meant) == 0 else None


@rule
def ranges_in_order(book: CampaignBook) -> Iterator[Issue]:
    for s in _tables(book):
        for column in s.sheet.columns:
            if column.type == "daterange" and s.present(column):
                data = s.table.data
                reversed_ = (data[f"{column.key}_end"] < data[column.key]).fillna(False)
                for index in data.index[reversed_]:
                    yield s.issue("range_reversed", ERROR, index, column)


@warning_rule
def duplicate_rows(book: CampaignBook) -> Iterator[Issue]:
    for s in _tables(book):
        keys = [k for k in s.sheet.duplicate_key if k in s.table.columns]
        if not keys:
            continue
        normalised = pd.DataFrame({key: _duplicate_keys(s.table.data[key]) for key in keys})
        keyed = normalised[normalised.notna().any(axis=1)]
        dupes = keyed.duplicated(keep="first")
        if not dupes.any():
            continue
        groups = [keyed[k] for k in keys]
        rows = s.table.data.loc[keyed.index, ROW]
        first_rows = rows.groupby(groups, dropna=False, sort=False).transform("first")
        yield from s.issues(
            "duplicate_row",
            WARNING,
            keyed.index[dupes],
            s.sheet.column(keys[0]),
            each={"other_row": first_rows[dupes].tolist()},
            fields="、".join(s.sheet.column(k).header for k in keys),
        )


def _duplicate_keys(values: pd.Series) -> pd.Series:
    """What a duplicate is judged on: names compared as name keys; dates and numbers as are."""
    if values.dtype.kind in "biufcmM" or isinstance(values.dtype, pd.BooleanDtype):
        return values
    return map_distinct_all(values, _duplicate_key_list)


def _duplicate_key_list(values: list[Any]) -> list[Any]:
    """:func:`_duplicate_key` of each value, the texts keyed together."""
    texts = [v for v in values if isinstance(v, str)]
    keys = nm.name_keys(texts)
    # Most often every value is a text, or all but the blank that map_distinct_all hands
    # last: then the keys are the answer as they are, not merged back a value at a time.
    if len(texts) == len(values):
        return keys
    if len(texts) == len(values) - 1 and not isinstance(values[-1], str):
        return [*keys, _duplicate_key(values[-1])]
    found = iter(keys)
    return [next(found) if isinstance(v, str) else _duplicate_key(v) for v in values]


def _duplicate_key(value: Any) -> Any:
    if isinstance(value, str):
        return nm.name_key(value)
    if value is None or (not isinstance(value, tuple) and pd.isna(value)):
        return None
    return value


# -- cross-sheet rules --


@warning_rule
def units_that_reported_nothing(book: CampaignBook) -> Iterator[Issue]:
    """The 催报 list: units with no row on a sheet where every unit is expected to report."""
    units = book.table("units")
    if units.data.empty:
        return
    exempt = set(book.definition.rules.get("exempt_unit_kinds", ()))
    kinds = book.definition.lists.get("单位类别")
    exempt |= set(kinds.where("不需填报", "是")) if kinds else set()  # the 选项 sheet's flag
    expected = units.data[~units.data["kind"].isin(exempt)]
    header = units.sheet.column("name").header
    for sheet in book.definition.tables:
        if not sheet.per_unit:
            continue
        reported = _name_keys(book, sheet.key, sheet.unit_column)
        for index, name in expected["name"].items():
            if isinstance(name, str) and nm.name_key(name) not in reported:
                row, col = units.address(index, "name")
                message = book.definition.message(sheet.per_unit_rule, unit=name, sheet=sheet.name)
                yield Issue(
                    sheet.per_unit_rule,
                    WARNING,
                    units.sheet.name,
                    message,
                    row,
                    col,
                    header,
                    name,
                    name,
                )


@warning_rule
def essays_long_enough(book: CampaignBook) -> Iterator[Issue]:
    column = book.definition.sheet("essays").column("length")
    if not (s := _filled_sheet(book, "essays")) or not column.target:
        return
    lengths = s.table.data["length"]
    limit = column.target * book.definition.rules.get("essay_min_ratio", 0.5)
    for index in lengths.index[(lengths < limit).fillna(False)]:
        yield s.issue(
            "essay_too_short",
            WARNING,
            index,
            column,
            value=int(lengths[index]),
            target=column.target,
        )


@warning_rule
def feedback_followed_up(book: CampaignBook) -> Iterator[Issue]:
    if not (s := _filled_sheet(book, "feedback")):
        return
    data = s.table.data
    for rule_id, key in (("feedback_no_measure", "measure"), ("feedback_no_owner", "owner")):
        for index in data.index[data[key].isna()]:
            topic = data.at[index, "topic"] if isinstance(data.at[index, "topic"], str) else ""
            yield s.issue(rule_id, WARNING, index, s.sheet.column(key), value=topic)


@warning_rule
def projects_on_time(book: CampaignBook) -> Iterator[Issue]:
    today = book.settings.get("report_date")
    if not (s := _filled_sheet(book, "projects")) or not today:
        return
    data = s.table.data
    late = (data["deadline"] < pd.Timestamp(today)) & (data["progress"] != "已完成")
    for index in data.index[late.fillna(False)]:
        yield s.issue(
            "project_overdue",
            WARNING,
            index,
            s.sheet.column("progress"),
            value=display(data.at[index, "name"]),  # a blank name: "", never "nan"
            deadline=display(_date(data.at[index, "deadline"])),
        )


@rule
def questionnaires_add_up(book: CampaignBook) -> Iterator[Issue]:
    if not (s := _filled_sheet(book, "questionnaires")):
        return
    data = s.table.data
    for index in data.index[(data["returned"] > data["handed_out"]).fillna(False)]:
        yield s.issue(
            "returned_exceeds",
            ERROR,
            index,
            s.sheet.column("returned"),
            value=int(data.at[index, "returned"]),
            handed_out=int(data.at[index, "handed_out"]),
        )


# -- checks declared in the definition ([[rules.checks]]) --


@rule
def declared_checks(book: CampaignBook) -> Iterator[Issue]:
    for check in book.definition.rules.get("checks", ()):
        yield from CHECK_KINDS[check["kind"]](book, check)


def _not_more_than(book: CampaignBook, check: dict[str, Any]) -> Iterator[Issue]:
    """Part ≤ whole within a row (中层以上干部人数 ≤ 干部职工人数)."""
    s = _filled_sheet(book, check["sheet"])
    key, limit = check["column"], check["limit"]
    if not s or not (s.present(s.sheet.column(key)) and limit in s.table.columns):
        return
    data = s.table.data
    for index in data.index[(data[key] > data[limit]).fillna(False)]:
        yield s.issue(
            check["id"],
            check["severity"],
            index,
            s.sheet.column(key),
            value=int(data.at[index, key]),
            limit=int(data.at[index, limit]),
        )


def _not_before(book: CampaignBook, check: dict[str, Any]) -> Iterator[Issue]:
    """A date no earlier than another column of its row, or than a setting."""
    s = _filled_sheet(book, check["sheet"])
    key, limit = check["column"], check["limit"]
    if not s or not s.present(s.sheet.column(key)):
        return
    data = s.table.data
    if limit.startswith("settings."):
        setting = book.settings.get(limit.removeprefix("settings."))
        if not setting:
            return
        limits = pd.Series(pd.Timestamp(setting), index=data.index)
    elif limit in s.table.columns:
        limits = data[limit]
    else:
        return
    for index in data.index[(data[key] < limits).fillna(False)]:
        yield s.issue(
            check["id"],
            check["severity"],
            index,
            s.sheet.column(key),
            value=display(_date(data.at[index, key])),
            limit=display(_date(limits[index])),
        )


def _roster_agrees(book: CampaignBook, check: dict[str, Any]) -> Iterator[Issue]:
    """Each person named in a row has, in 人员, the unit (or rank) the row gives."""
    roster = _roster_values(book, check["roster_column"])
    if not roster:
        return
    for sheet_key, person_key, key in check["sheets"]:
        s = _filled_sheet(book, sheet_key)
        if not s or not (person_key in s.table.columns and key in s.table.columns):
            continue
        data = s.table.data
        pairs = dict.fromkeys(zip(data[person_key], data[key], strict=True))  # each pair once
        judged = {
            pair: found
            for pair in pairs
            if isinstance(pair[1], str)
            and isinstance(pair[0], (str, tuple))
            and (found := _disagreement(roster, *pair))
        }
        if not judged:
            continue
        for index, names, value in zip(data.index, data[person_key], data[key], strict=True):
            if found := judged.get((names, value)):
                name, expected = found
                yield s.issue(
                    check["id"],
                    check["severity"],
                    index,
                    s.sheet.column(key),
                    person=name,
                    expected="、".join(expected.values()),
                    value=value,
                )


def _disagreement(
    roster: dict[str, dict[str, str]], names: str | tuple[str, ...], value: str
) -> tuple[str, dict[str, str]] | None:
    """The first person of ``names`` and what 人员 gives, when no named person agrees."""
    known = [
        (name, roster[nm.name_key(name)])
        for name in (names if isinstance(names, tuple) else (names,))
        if nm.name_key(name) in roster
    ]
    # several people of one row: others may go along, so one of them must agree
    if known and all(nm.name_key(value) not in expected for _, expected in known):
        return known[0]
    return None


def _roster_values(book: CampaignBook, key: str) -> dict[str, dict[str, str]]:
    """name key -> {value key: value} of ``key`` for every 人员 row of that name."""
    staff = book.frame("staff")
    found: dict[str, dict[str, str]] = {}
    if staff.empty:
        return found
    for name, value in zip(staff["name"], staff[key], strict=True):
        if isinstance(name, str) and isinstance(value, str):
            found.setdefault(nm.name_key(name), {})[nm.name_key(value)] = value
    return found


def _per_unit_headcount(book: CampaignBook, check: dict[str, Any]) -> Iterator[Issue]:
    """A unit cannot send more distinct people than it has (走访人 ≤ 干部职工人数)."""
    s, units = _filled_sheet(book, check["sheet"]), _filled_sheet(book, "units")
    if not s or not units or not s.sheet.unit_column or "headcount" not in units.table.columns:
        return
    people: dict[str, set[str]] = {}
    data = s.table.data
    pairs = dict.fromkeys(zip(data[s.sheet.unit_column], data[check["column"]], strict=True))
    for unit, names in pairs:
        if isinstance(unit, str) and isinstance(names, (str, tuple)):
            names = names if isinstance(names, tuple) else (names,)
            people.setdefault(nm.name_key(unit), set()).update(map(nm.name_key, names))
    column = units.sheet.column("headcount")
    for index, name, headcount in zip(
        units.table.data.index, units.table.data["name"], units.table.data["headcount"], strict=True
    ):
        count = len(people.get(nm.name_key(name), ())) if isinstance(name, str) else 0
        if not pd.isna(headcount) and count > headcount:
            yield units.issue(check["id"], check["severity"], index, column, unit=name, count=count)


def _within_staff(book: CampaignBook, check: dict[str, Any]) -> Iterator[Issue]:
    """No row counts more people than the organisation has, when its size is known."""
    s = _filled_sheet(book, check["sheet"])
    total = _total_staff(book)
    if not s or not total or not s.present(s.sheet.column(check["column"])):
        return
    column = s.sheet.column(check["column"])
    data = s.table.data
    values = data[column.key]
    limit = pd.Series(total * check.get("elsewhere_factor", 1), index=data.index)
    for key, kinds in check.get("where", {}).items():
        limit[data[key].isin(kinds)] = total
    beyond = values > limit
    if column.max is not None:
        beyond &= values <= column.max  # out of bounds already, and said so
    for index in values.index[beyond.fillna(False)]:
        yield s.issue(check["id"], check["severity"], index, column, total=total)


def _total_staff(book: CampaignBook) -> int | None:
    """The sum of 单位 headcounts when every unit gives one, else the 人员 roster's size."""
    units, staff = book.frame("units"), book.frame("staff")
    if not units.empty and units["headcount"].notna().all():
        return int(units["headcount"].sum())
    names = _name_keys(book, "staff", "name")
    return len(names) if not staff.empty and names else None


CHECK_KINDS: dict[str, Callable[[CampaignBook, dict[str, Any]], Iterator[Issue]]] = {
    "not_more_than": _not_more_than,
    "not_before": _not_before,
    "roster_agrees": _roster_agrees,
    "per_unit_headcount": _per_unit_headcount,
    "within_staff": _within_staff,
}
