"""Each command on a one-county book (the bundled example), as a process: best of a few runs.

Run:  .venv/bin/python benchmarks/bench_one_county.py [RUNS] [BOOK.xlsx]

Without BOOK it builds the bundled example. For ``validate --no-copy``, ``validate`` (checked
copy), ``aggregate`` (summary copy) and ``report --force`` it prints the best wall-clock time and
the best CPU time (user + system of the process and its children, LibreOffice included) over
RUNS runs (default 5). The machine may be shared: CPU time is the steadier figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from campaign_report.steps import build_example

COMMANDS = {
    "validate --no-copy": ["validate", "--no-copy", "{book}"],
    "validate": ["validate", "{book}", "--out", "{out}/checked.xlsx"],
    "aggregate": ["aggregate", "{book}", "--out", "{out}/summary.xlsx"],
    "report --force": ["report", "--force", "{book}", "--out", "{out}/report.docx"],
}


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (children's user + system) of one command."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        book = Path(sys.argv[2]) if len(sys.argv) > 2 else build_example(out / "example.xlsx")
        print(f"{'command':22} {'wall s':>7} {'CPU s':>7}   (best of {runs})")
        for label, template in COMMANDS.items():
            argv = [sys.executable, "-m", "campaign_report"]
            argv += [part.format(book=book, out=out) for part in template]
            timings = [run_once(argv) for _ in range(runs)]
            wall = min(t[0] for t in timings)
            cpu = min(t[1] for t in timings)
            print(f"{label:22} {wall:7.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
