"""Each command on a one-county book (the bundled example), as a process: best of a few runs.

Run:  .venv/bin/python benchmarks/bench_one_county.py [RUNS] [BOOK.xlsx]

Without BOOK it builds the bundled example. For each command it prints the best wall-clock
time and the best CPU time (user + system of the process and its children, LibreOffice
included) over RUNS runs (default 5). The machine may be shared: CPU time is the steadier
figure. ``report`` is timed three ways: the first time a document is measured (an empty
measurement cache, LibreOffice started), measured before (its page lines read from the
cache), and where LibreOffice is not installed (the closing block placed by counting lines).

The package's modules are byte-compiled first, as installing the wheel does: with
PYTHONDONTWRITEBYTECODE set (as on some machines) every run would compile them again.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import campaign_report
from campaign_report.steps import build_example

COMMANDS = {
    "validate --no-copy": ["validate", "--no-copy", "{book}"],
    "validate": ["validate", "{book}", "--out", "{out}/checked.xlsx"],
    "aggregate": ["aggregate", "{book}", "--out", "{out}/summary.xlsx"],
    "report (first time)": ["report", "--force", "{book}", "--out", "{out}/report.docx"],
    "report (measured before)": ["report", "--force", "{book}", "--out", "{out}/report.docx"],
    "report (no LibreOffice)": ["report", "--force", "{book}", "--out", "{out}/report.docx"],
}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (children's user + system) of one command."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def environment(label: str, scratch: Path, run: int) -> dict[str, str]:
    env = dict(os.environ, CAMPAIGN_REPORT_CACHE=str(scratch / "cache"))
    if label == "report (first time)":  # nothing measured before: an empty cache each run
        env["CAMPAIGN_REPORT_CACHE"] = str(scratch / f"cache-{run}")
    if label == "report (no LibreOffice)":
        env["PATH"] = str(scratch / "no-programs")  # no soffice, no pdftotext
    return env


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    compileall.compile_dir(Path(campaign_report.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        book = Path(sys.argv[2]) if len(sys.argv) > 2 else build_example(out / "example.xlsx")
        print(f"{'command':26} {'wall s':>7} {'CPU s':>7}   (best of {runs})")
        for label, template in COMMANDS.items():
            argv = [sys.executable, "-m", "campaign_report"]
            argv += [part.format(book=book, out=out) for part in template]
            timings = [run_once(argv, environment(label, out, n)) for n in range(runs)]
            wall = min(t[0] for t in timings)
            cpu = min(t[1] for t in timings)
            print(f"{label:26} {wall:7.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
