"""What each command does after the book is loaded, timed step by step in one process.

Run:  .venv/bin/python benchmarks/bench_after_load.py BOOK.xlsx

``bench_commands.py`` times whole commands; this loads BOOK once and then times the steps that
follow loading, as ``validate`` (the checked copy), ``aggregate`` (the summary copy) and
``report`` run them: aggregating, rendering the report's text, writing the copies and the
.docx (with LibreOffice's measuring where it is installed: once with an empty measurement
cache, LibreOffice started when needed, and once more with the lines it measured kept).
Validation itself belongs to the load path and is shown apart.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaign_report.adapters import pdf_layout, xlsx_writer
from campaign_report.aggregate import aggregate
from campaign_report.docx_writer import write_docx
from campaign_report.report import render_body, render_document
from campaign_report.steps import open_book
from campaign_report.validate import validate


def clock(step: Callable[..., Any], *args: Any, **options: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = step(*args, **options)
    return result, time.perf_counter() - start


def main() -> None:
    source = Path(sys.argv[1])
    book, seconds = clock(open_book, source)
    print(f"{'load (not counted)':34} {seconds:7.2f}")
    result, seconds = clock(validate, book)
    print(f"{'validate (not counted)':34} {seconds:7.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        _, copy = clock(xlsx_writer.write_checked_copy, source, out / "checked.xlsx", result)
        print(f"{'validate: checked copy':34} {copy:7.2f}")
        summary, figures = clock(aggregate, book)
        _, words = clock(render_body, summary)
        _, copy = clock(xlsx_writer.write_summary_copy, source, out / "summary.xlsx", summary)
        print(f"{'aggregate: figures':34} {figures:7.2f}")
        print(f"{'aggregate: report text, trace':34} {words:7.2f}")
        print(f"{'aggregate: summary copy':34} {copy:7.2f}")
        print(f"{'aggregate after loading':34} {figures + words + copy:7.2f}")
        summary, figures = clock(aggregate, book)
        document, words = clock(render_document, book, summary)
        measure = pdf_layout.measure_docx if pdf_layout.available() else None
        os.environ["CAMPAIGN_REPORT_CACHE"] = str(out / "measured")  # nothing measured yet
        _, docx = clock(write_docx, document, out / "report.docx", measure=measure)
        print(f"{'report: .docx' + (' (measured)' if measure else ''):34} {docx:7.2f}")
        print(f"{'report after validating':34} {figures + words + docx:7.2f}")
        if measure:
            _, again = clock(write_docx, document, out / "again.docx", measure=measure)
            print(f"{'report: .docx (measured before)':34} {again:7.2f}")


if __name__ == "__main__":
    main()
