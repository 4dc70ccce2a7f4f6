"""How long each step takes on a city-sized workbook: the example with 100 000 visit rows.

Run:  .venv/bin/python benchmarks/bench_large_book.py [ROWS]

Builds the workbook once (not timed), then times each step on it and prints a
table. Timings are wall-clock seconds of one run on this machine.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.adapters.xlsx_template import build_workbook
from campaign_report.aggregate import aggregate
from campaign_report.definition import load_definition
from campaign_report.example import load_example
from campaign_report.model import load_book
from campaign_report.steps import check_file, summarise_file, write_report
from campaign_report.validate import validate


def big_example(rows: int, folder: Path) -> Path:
    definition = load_definition()
    records, settings = load_example(definition)
    visits = records["visits"]
    rng = random.Random(2008)
    extra = []
    for n in range(rows - len(visits)):
        row = list(rng.choice(visits))
        row[4] = f"松阳县第{n}号企业"  # a new enterprise each row, so nothing is a duplicate
        extra.append(row)
    records["visits"] = visits + extra
    return build_workbook(definition, folder / f"large-{rows}.xlsx", records, settings)


def timed(label: str, function, results: list) -> object:
    start = time.perf_counter()
    value = function()
    results.append((label, time.perf_counter() - start))
    return value


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    definition = load_definition()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = big_example(rows, folder)
        size = path.stat().st_size / 1e6
        results: list[tuple[str, float]] = []
        timed("read, openpyxl read-only", lambda: read_raw_sheets(path, engine="openpyxl"), results)
        raw = timed(
            "read, python-calamine", lambda: read_raw_sheets(path, engine="calamine"), results
        )
        book = timed("normalise into typed tables", lambda: load_book(definition, raw), results)
        result = timed("validate", lambda: validate(book), results)
        timed("aggregate", lambda: aggregate(book), results)
        timed(
            "render report (.docx)",
            lambda: write_report(book, folder / "r.docx", force=True),
            results,
        )
        timed("CLI validate, with checked copy", lambda: check_file(path), results)
        timed("CLI aggregate, with summary copy", lambda: summarise_file(path), results)
    print(f"workbook: {rows} visit rows, {size:.1f} MB; {len(result.issues)} issues")
    print(f"{'step':40} {'seconds':>8}")
    for label, seconds in results:
        print(f"{label:40} {seconds:8.2f}")


if __name__ == "__main__":
    main()
