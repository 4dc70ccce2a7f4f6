"""Every command on a city-sized book, against a bare calamine read of the same file.

Run:  .venv/bin/python benchmarks/bench_commands.py [ROWS [ROUNDS]]

Builds a workbook of five sheets (活动, 走访, 意见建议, 金点子, 心得体会) with ROWS rows each
(default 100 000): the bundled example's rows repeated, each copy with a distinct name so that
nothing is a duplicate. Then, each as its own process, it runs

  * python-calamine reading every sheet (the yardstick),
  * ``campaign-report validate --no-copy``, ``validate`` (checked copy), ``aggregate``
    (summary copy) and ``report --force``,

ROUNDS times (default 3), each command right after a bare read of its own. It prints each
command's best time, its ratio to the bare read (the median over the rounds of the command's
time over the read made just before it), its peak memory and every round. The machine may be
shared and its speed drifts over minutes (a slow spell makes anything a fifth slower); a
command and the read it is compared with run within seconds of each other. Every ``report``
starts with an empty measurement cache, so each one lays its pages out with LibreOffice (where
installed) as the first report does.
"""

from __future__ import annotations

import json
import os
import statistics
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


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak memory in GB, exit code and the end of stderr of one command."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, check=True, env=env
    )
    seconds = time.perf_counter() - start
    peak_kb, code, tail = done.stdout.split(" ", 2)
    return seconds, int(peak_kb) / 1024 / 1024, int(code), tail.strip()


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdecimal()]
    rows = int(numbers[0]) if numbers else 100_000
    rounds = int(numbers[1]) if len(numbers) > 1 else 3
    definition = load_definition()
    cli = [sys.executable, "-m", "campaign_report"]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"building {len(BIG_SHEETS)} sheets x {rows} rows ...", file=sys.stderr)
        path = big_book(definition, rows, folder)
        size = path.stat().st_size / 1e6
        bare = [sys.executable, "-c", _BARE_READ, str(path)]
        commands = {
            "validate --no-copy": [*cli, "validate", str(path), "--no-copy"],
            "validate (checked copy)": [*cli, "validate", str(path)],
            "aggregate (summary copy)": [*cli, "aggregate", str(path)],
            "report --force": [*cli, "report", str(path), "--force"],
        }
        reads: list[tuple[float, float, int, str]] = []
        runs: dict[str, list[tuple[float, float, int, str]]] = {label: [] for label in commands}
        ratios: dict[str, list[float]] = {label: [] for label in commands}
        for turn in range(rounds):
            # An empty measurement cache each round: every report lays its pages out anew.
            env = dict(os.environ, CAMPAIGN_REPORT_CACHE=str(folder / f"cache-{turn}"))
            for label, argv in commands.items():
                # Each command right after a bare read of its own: the machine's speed drifts
                # over minutes, so each ratio compares two runs made within seconds.
                print(f"round {turn + 1}/{rounds}: bare read, then {label} ...", file=sys.stderr)
                reads.append(run(bare, env))
                runs[label].append(run(argv, env))
                ratios[label].append(runs[label][-1][0] / reads[-1][0])
    report(rows, size, rounds, reads, runs, ratios)
    if "--json" in sys.argv:
        summary = {k: (statistics.median(ratios[k]), max(r[1] for r in v)) for k, v in runs.items()}
        print(json.dumps(summary, ensure_ascii=False))


def report(
    rows: int,
    size: float,
    rounds: int,
    reads: list[tuple[float, float, int, str]],
    runs: dict[str, list[tuple[float, float, int, str]]],
    ratios: dict[str, list[float]],
) -> None:
    print(f"workbook: {len(BIG_SHEETS)} sheets x {rows} rows, {size:.1f} MB; {rounds} rounds")
    print(f"{'command':28} {'best s':>7} {'x read':>7} {'peak GB':>8} {'exit':>5}   each round")
    peak = max(r[1] for r in reads)
    every = " ".join(f"{r[0]:.2f}" for r in reads)
    best_read = min(r[0] for r in reads)
    print(f"{'bare calamine read':28} {best_read:7.2f} {1:7.2f} {peak:8.2f} {0:5d}   {every}")
    for label, found in runs.items():
        peak = max(r[1] for r in found)
        code = max((r[2] for r in found), key=abs)
        each = " ".join(f"{r[0]:.2f}/{x:.2f}" for r, x in zip(found, ratios[label], strict=True))
        best = min(r[0] for r in found)
        ratio = statistics.median(ratios[label])
        print(f"{label:28} {best:7.2f} {ratio:7.2f} {peak:8.2f} {code:5d}   {each}")
    print("x read: the median over the rounds of the command's time / the bare read just before")
    print("each round: the command's seconds / that ratio")


if __name__ == "__main__":
    main()
