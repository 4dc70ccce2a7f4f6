"""How long each toolbar click takes inside LibreOffice Calc, on the example and on a big book.

Run:  .venv/bin/python benchmarks/bench_libreoffice.py [ROWS ...]   (default: 0 20000)

For each size (visit rows in all; 0 keeps the example's own) it builds the .xlsx
(not timed), then drives a headless soffice through the 活动汇总 extension with
``tests/uno_driver.py`` (LibreOffice's Python, /usr/bin/python3) and prints the
wall-clock seconds of each dispatched click: the Python work inside soffice, its
reads and writes over UNO, and the first click's import of the product and pandas.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_large_book import big_example

from campaign_report import libreoffice

DRIVER = Path(__file__).resolve().parents[1] / "tests" / "uno_driver.py"
CLICKS = ("validate", "revalidate", "aggregate", "report")


def run(rows: int, folder: Path) -> dict[str, float]:
    book = big_example(rows, folder)
    oxt = libreoffice.build_extension(folder / "活动汇总.oxt", libreoffice.product_paths())
    spec = folder / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "profile": str(folder / "profile"),
                "oxt": str(oxt),
                "book": str(book),
                "fix": ["走访", "D5", "企业"],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["/usr/bin/python3", str(DRIVER), str(spec)], capture_output=True, text=True, timeout=1800
    )
    if done.returncode:
        sys.exit(done.stderr[-2000:])
    seen = json.loads(done.stdout)
    return {click: seen[click]["seconds"] for click in CLICKS}


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [0, 20_000]
    print("| visit rows | " + " | ".join(CLICKS) + " |")
    print("|---" * (len(CLICKS) + 1) + "|")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            seconds = run(rows, Path(scratch))
        print(f"| {rows} | " + " | ".join(f"{seconds[c]:.2f}" for c in CLICKS) + " |")


if __name__ == "__main__":
    main()
