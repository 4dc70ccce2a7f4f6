"""The workbook's definition: sheets, columns, types, choices, rules and messages.

Loaded from ``workbook/definition.toml``; nothing else in the code names a
sheet header or a column type by hand.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .resources import workbook_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COLUMN_TYPES = (
    "text",
    "longtext",
    "integer",
    "date",
    "daterange",
    "choice",
    "bool",
    "unit",
    "units",
    "person",
    "persons",
)

TYPE_LABELS = {
    "text": "文字",
    "longtext": "长文字",
    "integer": "整数",
    "date": "日期",
    "daterange": "日期或日期段",
    "choice": "下拉选择",
    "bool": "是/否",
    "unit": "单位（下拉选择）",
    "units": "单位（可多个，用顿号分隔）",
    "person": "姓名",
    "persons": "姓名（可多人）",
}


class DefinitionError(ValueError):
    """The definition file itself is wrong (a developer's mistake, not a user's)."""


@dataclass(frozen=True)
class Column:
    """One column of a table sheet, or one item of the settings sheet."""

    key: str
    header: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    target: int | None = None
    default: Any = None
    width: int = 12
    help: str = ""
    in_period: bool = False  # a date that must fall inside the campaign period
    list: str = ""  # the named list (选项 sheet) a choice column takes its values from
    closed: bool = True  # False: a value outside the list is used as typed, with a warning
    aliases: tuple[str, ...] = ()  # other headers people give this column ([aliases])

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]


@dataclass(frozen=True)
class ChoiceList:
    """A named list of choices, as on XLSForm's choices sheet: values plus extra columns.

    The definition gives the defaults; the book's 选项 sheet may replace an open list.
    A value outside an open list is used as typed (a warning); outside a closed one, an error.
    """

    name: str
    values: tuple[str, ...]
    closed: bool = False
    extra_headers: tuple[str, ...] = ()
    extras: tuple[tuple[str, ...], ...] = ()  # one tuple a value, in extra_headers order
    help: str = ""

    def extra(self, value: str, header: str, default: str = "") -> str:
        """The ``header`` column of ``value``'s row (``default`` when absent or blank)."""
        if header not in self.extra_headers or value not in self.values:
            return default
        row = self.extras[self.values.index(value)]
        position = self.extra_headers.index(header)
        text = row[position] if position < len(row) else ""
        return text or default

    def where(self, header: str, wanted: str) -> tuple[str, ...]:
        """The values whose ``header`` column reads ``wanted``."""
        return tuple(v for v in self.values if self.extra(v, header) == wanted)


@dataclass(frozen=True)
class Sheet:
    """A sheet of the workbook: a table (one record a row) or the settings list."""

    key: str
    name: str
    kind: str
    help: str
    columns: tuple[Column, ...]
    unit_column: str | None = None
    per_unit: bool = False
    per_unit_rule: str = "unit_missing_rows"
    duplicate_key: tuple[str, ...] = ()

    @property
    def is_settings(self) -> bool:
        return self.kind == "settings"

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(f"{self.key}.{key}")


@dataclass(frozen=True)
class Definition:
    """The whole workbook: its sheets in order, rule parameters and message templates."""

    sheets: tuple[Sheet, ...]
    rules: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    lists: dict[str, ChoiceList] = field(default_factory=dict)  # 选项: list name -> list

    def choice_list(self, name: str) -> ChoiceList:
        return self.lists[name]

    def with_lists(self, lists: dict[str, ChoiceList]) -> Definition:
        """This definition with some lists replaced (the book's 选项 sheet): choices follow."""
        merged = {**self.lists, **lists}
        sheets = tuple(
            replace(
                sheet,
                columns=tuple(
                    replace(c, choices=merged[c.list].values, closed=merged[c.list].closed)
                    if c.list in merged
                    else c
                    for c in sheet.columns
                ),
            )
            for sheet in self.sheets
        )
        return replace(self, sheets=sheets, lists=merged)

    rule_names: dict[str, str] = field(default_factory=dict)  # id -> the 规则 column's Chinese
    hints: dict[str, str] = field(default_factory=dict)

    def sheet(self, key: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)

    @property
    def settings(self) -> Sheet:
        return self.sheet("settings")

    @property
    def tables(self) -> tuple[Sheet, ...]:
        return tuple(s for s in self.sheets if not s.is_settings)

    def message(self, rule: str, **fields: Any) -> str:
        """Return the Chinese message of ``rule`` with ``fields`` filled in."""
        return self.messages[rule].format_map(_Lenient({"suggestion": ""} | fields))

    def hint(self, key: str, **fields: Any) -> str:
        return self.hints[key].format_map(_Lenient(fields))

    def rule_name(self, rule: str) -> str:
        """The Chinese name of a rule id, for people; the id itself for a rule left unnamed."""
        return self.rule_names.get(rule, rule)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the definition as plain data for other tools (``schema --json``)."""
        return {
            "version": 1,
            "sheets": [
                {
                    "key": s.key,
                    "name": s.name,
                    "kind": s.kind,
                    "help": s.help,
                    "unit_column": s.unit_column,
                    "per_unit": s.per_unit,
                    "columns": [_column_json(c) for c in s.columns],
                }
                for s in self.sheets
            ],
            "rules": self.rules,
            "lists": [
                {
                    "name": cl.name,
                    "closed": cl.closed,
                    "columns": list(cl.extra_headers),
                    "items": [[v, *cl.extras[i]] for i, v in enumerate(cl.values)],
                }
                for cl in self.lists.values()
            ],
        }


def definition_markdown(definition: Definition) -> str:
    """The workbook reference (docs/workbook.md), generated so that it cannot drift."""
    lines = [
        "# 工作簿说明",
        "",
        "本文件由 `campaign-report schema --markdown` 从 `workbook/definition.toml` 生成，"
        "请勿手改。",
        "",
    ]
    for sheet in definition.sheets:
        lines += [f"## {sheet.name}", "", sheet.help, ""]
        if sheet.per_unit:
            lines += ["每个单位都应在本表填报，未填报的单位会列入催报名单。", ""]
        lines += ["| 列名 | 填写方式 | 必填 | 说明 |", "|---|---|---|---|"]
        for column in sheet.columns:
            how = column.type_label + ("：" + "、".join(column.choices) if column.choices else "")
            note = column.help + (
                f"（表头也可写作：{'、'.join(column.aliases)}）" if column.aliases else ""
            )
            lines.append(
                f"| {column.header} | {how} | {'是' if column.required else ''} | {note} |"
            )
        lines.append("")
    lines += _lists_markdown(definition)
    lines += ["## 校验规则与提示", "", "| 规则 | 名称 | 提示 |", "|---|---|---|"]
    lines += [
        f"| `{rule}` | {definition.rule_name(rule)} | {text} |"
        for rule, text in definition.messages.items()
    ]
    return "\n".join(lines) + "\n"


def _lists_markdown(definition: Definition) -> list[str]:
    lines = [
        "## 选项",
        "",
        "各下拉列表的选项，默认如下。办公室可在工作簿的“选项”表中增删改（同一列表的行要连在一起）；"
        "填写列表之外的内容时按所填内容使用并给出警告。标“固定”的列表不能修改，填写其他内容是错误。",
        "",
        "| 列表 | 选项 | 附加列 | 说明 |",
        "|---|---|---|---|",
    ]
    for cl in definition.lists.values():
        extra = "、".join(cl.extra_headers)
        note = ("固定。" if cl.closed else "") + cl.help
        lines.append(f"| {cl.name} | {'、'.join(cl.values)} | {extra} | {note} |")
    return [*lines, ""]


def _column_json(column: Column) -> dict[str, Any]:
    data = {k: v for k, v in asdict(column).items() if v not in (None, (), "")}
    if column.choices:
        data["choices"] = list(column.choices)
    return data


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "？"


def load_definition(path: Path | None = None) -> Definition:
    """Read and check the definition (default: the shipped ``workbook/definition.toml``)."""
    path = path or workbook_dir() / "definition.toml"
    return _definition_of(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _definition_of(text: str) -> Definition:
    """The definition a file's text holds: parsed once a process (a Definition is frozen)."""
    data = tomllib.loads(text)
    lists = {raw["name"]: _list(raw) for raw in data.get("lists", ())}
    sheets = tuple(_sheet(raw, data.get("aliases", {})) for raw in data["sheets"])
    definition = Definition(
        sheets,
        data.get("rules", {}),
        data.get("messages", {}),
        rule_names=data.get("rule_names", {}),
        hints=data.get("hints", {}),
    )
    definition = definition.with_lists(lists)
    _check(definition)
    return definition


def _list(raw: dict[str, Any]) -> ChoiceList:
    items = [item if isinstance(item, list) else [item] for item in raw["items"]]
    return ChoiceList(
        name=raw["name"],
        values=tuple(str(i[0]) for i in items),
        closed=raw.get("closed", False),
        extra_headers=tuple(raw.get("columns", ())),
        extras=tuple(tuple(str(x) for x in i[1:]) for i in items),
        help=raw.get("help", ""),
    )


def _sheet(raw: dict[str, Any], aliases: dict[str, dict[str, list[str]]]) -> Sheet:
    kind = raw.get("kind", "table")
    columns = raw["items"] if kind == "settings" else raw["columns"]
    named = aliases.get(raw["key"], {})
    unknown = set(named) - {c["key"] for c in columns}
    if unknown:
        raise DefinitionError(f"aliases.{raw['key']}: {', '.join(sorted(unknown))} not columns")
    columns = [{**c, "aliases": tuple(named.get(c["key"], ()))} for c in columns]
    return Sheet(
        key=raw["key"],
        name=raw["name"],
        kind=kind,
        help=raw.get("help", ""),
        columns=tuple(_column(c) for c in columns),
        unit_column=raw.get("unit_column"),
        per_unit=raw.get("per_unit", False),
        per_unit_rule=raw.get("per_unit_rule", "unit_missing_rows"),
        duplicate_key=tuple(raw.get("duplicate_key", ())),
    )


def _column(raw: dict[str, Any]) -> Column:
    raw = dict(raw)
    header = raw.pop("header", None) or raw.pop("label")
    raw.pop("label", None)
    raw["choices"] = tuple(raw.get("choices", ()))
    return Column(header=header, **raw)


def _check(definition: Definition) -> None:
    seen_names = set()
    for sheet in definition.sheets:
        if sheet.name in seen_names:
            raise DefinitionError(f"sheet name {sheet.name} used twice")
        seen_names.add(sheet.name)
        keys = [c.key for c in sheet.columns]
        headers = [c.header for c in sheet.columns]
        if len(set(keys)) != len(keys) or len(set(headers)) != len(headers):
            raise DefinitionError(f"{sheet.key}: duplicate column key or header")
        names = headers + [a for c in sheet.columns for a in c.aliases]
        if len(set(names)) != len(names):
            raise DefinitionError(f"{sheet.key}: an alias repeats a header or another alias")
        for column in sheet.columns:
            if column.type not in COLUMN_TYPES:
                raise DefinitionError(f"{sheet.key}.{column.key}: unknown type {column.type}")
            if column.type == "choice" and not column.choices:
                raise DefinitionError(f"{sheet.key}.{column.key}: a choice column needs choices")
            if column.list and column.list not in definition.lists:
                raise DefinitionError(f"{sheet.key}.{column.key}: no list {column.list}")
            if not column.list and len(",".join(column.choices)) > 255:  # inline dropdown limit
                raise DefinitionError(f"{sheet.key}.{column.key}: choices too long for a dropdown")
        for key in (sheet.unit_column, *sheet.duplicate_key):
            if key is not None and key not in keys:
                raise DefinitionError(f"{sheet.key}: {key} is not a column")
    unnamed = set(definition.messages) - set(definition.rule_names)
    if unnamed:
        raise DefinitionError(f"rules without a name in [rule_names]: {sorted(unnamed)}")
    if not {"settings", "units"} <= {s.key for s in definition.sheets}:
        raise DefinitionError("the definition needs the settings and units sheets")
