"""A report of a 100 000-row book is no longer than a report of a 100-row book.

Run:  .venv/bin/python benchmarks/bench_report_length.py [ROWS]

Takes the bundled example, repeats its activity and visit rows until each sheet has
ROWS rows (in memory, the typed tables as the reader gives them), then aggregates and
renders the report body. Prints rows, characters of the body and seconds for each size.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from campaign_report.aggregate import aggregate
from campaign_report.model import CampaignBook, Table
from campaign_report.report import render_body
from campaign_report.steps import build_example, open_book


def grown(book: CampaignBook, rows: int) -> CampaignBook:
    tables = dict(book.tables)
    for key in ("activities", "visits"):
        table = book.tables[key]
        times = max(1, rows // max(1, len(table.data)))
        data = table.data.loc[table.data.index.repeat(times)].reset_index(drop=True)
        tables[key] = Table(table.sheet, data, table.raw, table.columns, table.header_row)
    return replace(book, tables=tables)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as scratch:
        book = open_book(build_example(Path(scratch) / "示例.xlsx"))
    print("| 每表行数 | 正文字数 | 汇总+生成（秒） |\n|---:|---:|---:|")
    for size in (100, rows):
        bigger = grown(book, size)
        start = time.perf_counter()
        body = render_body(aggregate(bigger))
        seconds = time.perf_counter() - start
        print(f"| {len(bigger.frame('visits'))} | {len(body)} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
