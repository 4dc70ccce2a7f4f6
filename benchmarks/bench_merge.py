"""Merging 30 units' copies, each the size of the bundled example, against reading them.

Run:  .venv/bin/python benchmarks/bench_merge.py [COPIES]

A city office collects the books of 30 counties: the master's 单位 sheet lists 30
counties and each county's copy holds the bundled example's rows under its name.
Built once (not timed): the master and its copies (``split``); one copy in three is then
edited (two rows added, one changed). A second round starts as rounds do: the master holds
the 30 counties and no rows yet, and every copy (split from it) comes back with its
county's rows. Timed, eleven turns of one run of each step, each run starting with no
garbage left to collect from the one before. For each step it prints the best wall-clock and
CPU seconds (CPU time is the fairer figure on a machine other jobs share) and their ratios to
the read's best, and the paired ratio: the median over the turns of the step's time over the
read's in the same turn. The machine's speed drifts (a spell can make anything a fifth
slower), and the best read and a step's best can come from different spells; runs of one
turn are within a second of each other. The steps:

- reading every sheet of every copy with python-calamine itself, the yardstick the issue
  names (not our reader, whose safety pass and conversions are part of what merge costs);
- for reference, what merge reads, with our reader: the copies' unit sheets and the
  master's (the safety pass that refuses zip bombs and DTDs included);
- ``merge --check`` (read the master and the copies, diff; nothing written);
- ``merge`` (the same, and write the merged book: its changed parts, the others copied).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from campaign_report import collect
from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.adapters.xlsx_template import UnitCopy, build_workbook
from campaign_report.collect import unit_sheets
from campaign_report.definition import load_definition
from campaign_report.example import load_example
from campaign_report.steps import _file_version, copy_files, merge_files, split_file

RUNS = 11


def city_master(copies: int, folder: Path, rows: bool = True) -> Path:
    """The example's rows once for each of ``copies`` counties (or none), in one master."""
    definition = load_definition()
    records, settings = load_example(definition)
    counties = [f"第{n + 1:02d}县" for n in range(copies)]
    city = dict(records)
    city["units"] = [[name, "分局", None, 10, 2] for name in counties]
    for sheet in unit_sheets(definition):
        at = [c.key for c in sheet.columns].index(sheet.unit_column)
        city[sheet.key] = [
            [*row[:at], county, *row[at + 1 :]]
            for county in (counties if rows else [])
            for row in records[sheet.key]
        ]
    folder.mkdir(parents=True, exist_ok=True)
    return build_workbook(definition, folder / "市台账.xlsx", city, settings)


def filled_copies(empty: Path, full: Path, folder: Path) -> None:
    """The copies ``split`` makes of the ``empty`` master, back with the ``full`` one's rows."""
    definition = load_definition()
    records, settings = load_example(definition)
    raw = read_raw_sheets(full)
    tables = {s.key: collect.read_table(s, raw[s.name]) for s in definition.tables}
    mark = functools.partial(
        collect.marker, campaign=settings["campaign_name"], version=_file_version(empty)
    )
    protected = collect.office_sheet_keys(definition)
    folder.mkdir(parents=True, exist_ok=True)
    for unit in collect.roster(definition, tables["units"]):
        copy = UnitCopy(unit.name, protected, mark(unit.name, when=dt.datetime.now()))
        unit_rows = collect.split_records(definition, tables, unit.name)
        path = folder / collect.copy_filename(empty, unit.name)
        build_workbook(definition, path, unit_rows, settings, copy)


def edit_some(folder: Path) -> None:
    """One copy in three comes back with two new rows and one changed row on 走访."""
    for path in sorted(folder.glob("*.xlsx"))[::3]:
        book = openpyxl.load_workbook(path)
        visits = book["走访"]
        last = visits.max_row
        for offset in (1, 2):
            for cell in visits[last]:
                visits.cell(last + offset, cell.column, cell.value)
            visits.cell(last + offset, 5, f"新走访的企业{offset}")
        visits.cell(2, 7, "补记：已回访")
        book.save(path)


def read_with_calamine(paths: list[Path]) -> None:
    """Every sheet of every copy as Python values: python-calamine's own bulk read."""
    for path in paths:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()


def read_with_our_reader(master: Path, paths: list[Path]) -> None:
    """What merge reads: the unit sheets of every copy, those and the rosters of the master."""
    definition = load_definition()
    wanted = {s.name for s in unit_sheets(definition)}
    read_raw_sheets(master, only=wanted | {"单位", definition.settings.name})
    for path in paths:
        read_raw_sheets(path, only=wanted)


Timing = tuple[float, float, float]  # best wall s, best CPU s, median wall / the read before


def best_of(runs: int, functions: list[Callable[[], object]]) -> list[Timing]:
    """Each function's best wall-clock and CPU seconds, run in turns ``runs`` times, and the
    median over the turns of its wall time over the first function's (the read) in that turn.
    """
    times: list[list[tuple[float, float]]] = [[] for _ in functions]
    for _ in range(runs):
        for function, spent in zip(functions, times, strict=True):
            gc.collect()  # the garbage of the run before is not this run's to collect
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            spent.append((time.perf_counter() - start, time.process_time() - start_cpu))
    reads = [wall for wall, _ in times[0]]
    return [
        (
            min(w for w, _ in spent),
            min(c for _, c in spent),
            statistics.median(w / read for (w, _), read in zip(spent, reads, strict=True)),
        )
        for spent in times
    ]


def measure(master: Path, folder: Path, out: Path) -> list[Timing]:
    files = copy_files([folder])
    return best_of(
        RUNS,
        [
            lambda: read_with_calamine(files),
            lambda: read_with_our_reader(master, files),
            lambda: merge_files(master, [folder], check=True),
            lambda: merge_files(master, [folder], out),
        ],
    )


def report(title: str, timings: list[Timing]) -> None:
    read = timings[0]
    print(title)
    print(
        f"{f'best of {RUNS}':<46}{'wall s':>8}{'× read':>8}{'CPU s':>8}{'× read':>8}"
        f"{'paired ×':>10}"
    )
    labels = (
        "read every copy, python-calamine",
        "what merge reads, our reader (reference)",
        "merge --check (read master and copies, diff)",
        "merge (and write the merged book)",
    )
    for label, (wall, cpu, paired) in zip(labels, timings, strict=True):
        print(
            f"{label:<46}{wall:>8.2f}{wall / read[0]:>8.2f}{cpu:>8.2f}{cpu / read[1]:>8.2f}"
            f"{paired:>10.2f}"
        )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        master = city_master(count, folder)
        split_file(master, folder / "copies")
        edit_some(folder / "copies")
        files = copy_files([folder / "copies"])
        rows = sum(len(s.rows) for s in read_raw_sheets(files[0]).values())
        later = measure(master, folder / "copies", folder / "合并.xlsx")
        result, _ = merge_files(master, [folder / "copies"], check=True)
        size = master.stat().st_size / 1e6
        empty = city_master(count, folder / "round", rows=False)
        filled_copies(empty, master, folder / "round" / "copies")
        first = measure(empty, folder / "round" / "copies", folder / "round" / "合并.xlsx")
        added, _ = merge_files(empty, [folder / "round" / "copies"], check=True)
    print(f"{len(files)} copies of {rows} sheet rows each; master {size:.1f} MB")
    print("paired ×: the median over the turns of the step's time / the read in the same turn")
    changed = sum(1 for line in result.check_lines() if "没有改动" not in line)
    report(f"The master holds every copy's rows; {changed} copies changed:", later)
    new = sum(c.added for c in added.changes.values())
    report(f"\nA round's first merge: the master holds no rows; {new} rows added:", first)


if __name__ == "__main__":
    main()
