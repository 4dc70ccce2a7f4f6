"""校验 as a careful clerk would check: planted mistakes are caught, odd correct entries are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from planted_mistakes import plant

from campaign_report.model import ERROR, WARNING
from campaign_report.steps import open_book
from campaign_report.validate import WARNING_RULES, find_errors, validate

# a value outside an open list (选项) is used as typed, with a warning: still caught
ALSO = {"bad_choice": {"bad_choice", "choice_as_typed"}}


@pytest.fixture(scope="module")
def planted(example_master: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("planted") / "台账.xlsx"
    mistakes, correct = plant(example_master, out)
    return mistakes, correct, validate(open_book(out))


def _found(result, severities=(ERROR, WARNING)) -> dict[tuple[str, int | None], list]:
    by_row: dict[tuple[str, int | None], list] = {}
    for issue in result.issues:
        if issue.severity in severities:
            by_row.setdefault((issue.sheet, issue.row), []).append(issue)
    return by_row


def test_enough_plants_of_enough_kinds(planted) -> None:
    mistakes, correct, _ = planted
    assert len(mistakes) >= 40 and len(correct) >= 30
    assert len({m.kind for m in mistakes}) >= 25


def test_at_least_95_percent_of_mistakes_are_caught_at_their_cell_by_their_rule(planted) -> None:
    mistakes, _, result = planted
    found = _found(result)
    missed = [
        m
        for m in mistakes
        if not any(
            i.col == m.col and i.rule in ALSO.get(m.kind, {m.kind})
            for i in found.get((m.sheet, m.row), [])
        )
    ]
    assert len(missed) <= 0.05 * len(mistakes), missed


def test_no_correct_entry_gets_an_error_and_at_most_two_a_warning(planted) -> None:
    _, correct, result = planted
    found = _found(result)
    errors = [
        c for c in correct if any(i.severity == ERROR for i in found.get((c.sheet, c.row), []))
    ]
    warned = [c for c in correct if found.get((c.sheet, c.row))]
    assert errors == []
    assert len(warned) <= 2, [(c, [i.message for i in found[(c.sheet, c.row)]]) for c in warned]


def test_the_cross_sheet_mistakes_name_both_sides(planted) -> None:
    _, _, result = planted
    messages = {i.rule: i.message for i in result.issues}
    assert messages["person_unit_differs"].startswith("“")
    assert "叶永忠" in next(
        i.message
        for i in result.issues
        if i.rule == "person_unit_differs" and i.sheet == "心得体会"
    )
    rank = next(i.message for i in result.issues if "夏强" in i.message)
    assert rank.startswith("“夏强”在“人员”表中的职级是“") and "此处填的是“一般干部”" in rank
    assert "应为2008年3月22日" in next(
        i.message for i in result.issues if i.rule == "date_excel_year" and i.sheet == "走访"
    )


@pytest.fixture(scope="module")
def planted_book(example_master: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("planted_book") / "台账.xlsx"
    plant(example_master, out)
    return open_book(out)


def test_a_report_is_refused_for_the_errors_a_full_check_finds(planted_book) -> None:
    """生成报告 looks for errors only, skipping the rules that warn: the same errors."""
    errors = validate(planted_book).errors
    assert len(errors) >= 20 and find_errors(planted_book) == errors


def test_the_rules_that_only_warn_report_no_error(planted_book) -> None:
    found = {check.__name__: list(check(planted_book)) for check in WARNING_RULES}
    assert sum(1 for issues in found.values() if issues) >= 4  # the plants reach them
    errors = [i for issues in found.values() for i in issues if i.severity == ERROR]
    assert errors == []
