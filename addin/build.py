"""Build 活动汇总.xlam from the text sources in this folder.

    python addin/build.py [OUTDIR]      # default OUTDIR: dist/ in the repo

The work is done by campaign_report.excel_build (python -m campaign_report.excel_build OUTDIR);
this script only lets a checkout build without installing the package first.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    try:
        from campaign_report.excel_build import main
    except ImportError:  # a plain checkout: use the package next to this folder
        sys.path.insert(0, str(REPO / "python"))
        from campaign_report.excel_build import main
    sys.exit(main(sys.argv[1:] or [str(REPO / "dist")]))
