"""Every command on a city-sized book, against one bare calamine read of the same file.

Run:  .venv/bin/python benchmarks/bench_commands.py [ROWS]

Builds a workbook of five sheets (活动, 走访, 意见建议, 金点子, 心得体会) with ROWS rows each
(default 100 000): the bundled example's rows repeated, each copy with a distinct name so that
nothing is a duplicate. Then, one after another and each as its own process, it runs

  * python-calamine reading every sheet (the yardstick),
  * ``campaign-report validate --no-copy``, ``validate`` (checked copy), ``aggregate``
    (summary copy) and ``report --force``,

and prints each one's wall-clock time, its ratio to the bare read and its peak memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from campaign_report.adapters.xlsx_template import build_workbook
from campaign_report.definition import Definition, load_definition
from campaign_report.example import load_example, load_example_lists

BIG_SHEETS = {  # sheet key -> the text column made distinct in each repeated row
    "activities": "title",
    "visits": "target_name",
    "feedback": "content",
    "ideas": "title",
    "essays": "title",
}

# Runs one command as a child and prints its peak RSS: the wrapper has no other child, so
# RUSAGE_CHILDREN's maximum is that command's own.
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(peak, done.returncode, done.stderr.decode()[-300:].replace(chr(10), ' '))\n"
)

_BARE_READ = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "book = CalamineWorkbook.from_path(sys.argv[1])\n"
    "for name in book.sheet_names:\n"
    "    book.get_sheet_by_name(name).to_python(skip_empty_area=False)\n"
)


def big_book(definition: Definition, rows: int, folder: Path) -> Path:
    definition = definition.with_lists(load_example_lists(definition))  # the example's 选项
    records, settings = load_example(definition)
    for key, distinct in BIG_SHEETS.items():
        position = [c.key for c in definition.sheet(key).columns].index(distinct)
        seed = records[key]
        grown = []
        for n in range(rows):
            row = list(seed[n % len(seed)])
            row[position] = f"{row[position]}（{n}）"
            grown.append(row)
        records[key] = grown
    return build_workbook(definition, folder / f"big-{rows}.xlsx", records, settings)


def run(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak memory in GB, exit code and the end of stderr of one command."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    peak_kb, code, tail = done.stdout.split(" ", 2)
    return seconds, int(peak_kb) / 1024 / 1024, int(code), tail.strip()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    definition = load_definition()
    cli = [sys.executable, "-m", "campaign_report"]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"building {len(BIG_SHEETS)} sheets x {rows} rows ...", file=sys.stderr)
        path = big_book(definition, rows, folder)
        size = path.stat().st_size / 1e6
        steps = {
            "bare calamine read": [sys.executable, "-c", _BARE_READ, str(path)],
            "validate --no-copy": [*cli, "validate", str(path), "--no-copy"],
            "validate (checked copy)": [*cli, "validate", str(path)],
            "aggregate (summary copy)": [*cli, "aggregate", str(path)],
            "report --force": [*cli, "report", str(path), "--force"],
        }
        results = {}
        for label, argv in steps.items():
            print(f"running {label} ...", file=sys.stderr)
            results[label] = run(argv)
    base = results["bare calamine read"][0]
    print(f"workbook: {len(BIG_SHEETS)} sheets x {rows} rows, {size:.1f} MB")
    print(f"{'command':28} {'seconds':>8} {'x read':>7} {'peak GB':>8} {'exit':>5}")
    for label, (seconds, peak, code, _) in results.items():
        print(f"{label:28} {seconds:8.2f} {seconds / base:7.1f} {peak:8.2f} {code:5d}")
    if "--json" in sys.argv:
        print(json.dumps({k: v[:3] for k, v in results.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
