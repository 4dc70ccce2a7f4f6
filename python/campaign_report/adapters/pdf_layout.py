"""Measure where a .docx's lines fall: render it with LibreOffice, read the PDF's text boxes.

Used by the .docx writer to place the closing block (署名, date, 版记) after GB/T 9704, whose
position depends on where the pages end. Needs ``soffice`` and poppler's ``pdftotext`` on PATH;
without them :func:`measure_docx` returns None and the writer falls back to a layout that needs
no measurement.
"""

from __future__ import annotations

import atexit
import html
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..document import TextLine

RENDER_TIMEOUT = 90  # seconds; a cold LibreOffice start on a busy PC takes a while

_LINE = re.compile(
    r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', re.S
)
_WORD = re.compile(r"<word [^>]*>([^<]*)</word>")
_profile: tempfile.TemporaryDirectory[str] | None = None


def available() -> bool:
    return bool(_soffice() and shutil.which("pdftotext"))


def measure_docx(path: Path) -> list[TextLine] | None:
    """The text lines of ``path`` as LibreOffice lays them out; None when it cannot tell."""
    return measure_many([Path(path)])[0]


def measure_many(paths: Sequence[Path]) -> list[list[TextLine] | None]:
    """:func:`measure_docx` of several files, rendered by one LibreOffice start (which costs
    seconds; each further file a fraction of one)."""
    if not available():
        return [None] * len(paths)
    with tempfile.TemporaryDirectory(prefix="campaign-report-") as tmp:
        pdfs = render_pdfs([Path(p) for p in paths], Path(tmp))
        return [None if pdf is None else read_lines(pdf) for pdf in pdfs]


# The .docx writer renders the trial layouts it may need next in one go, and builds none
# where nothing can render them.
measure_docx.many = measure_many  # type: ignore[attr-defined]
measure_docx.ready = available  # type: ignore[attr-defined]


def render_pdf(path: Path, outdir: Path) -> Path | None:
    """``path`` converted to PDF in ``outdir`` by headless LibreOffice, or None on failure."""
    return render_pdfs([Path(path)], outdir)[0]


def render_pdfs(paths: Sequence[Path], outdir: Path) -> list[Path | None]:
    """Each of ``paths`` (distinct names) converted to PDF in ``outdir`` by one headless
    LibreOffice, or None where that failed."""
    soffice = _soffice()
    if soffice is None:
        return [None] * len(paths)
    # A profile of our own: LibreOffice refuses a second instance on the user's profile.
    profile = Path(_profile_dir()).as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    command += ["--convert-to", "pdf", "--outdir", str(outdir), *map(str, paths)]
    try:
        subprocess.run(
            command, capture_output=True, timeout=RENDER_TIMEOUT * len(paths), check=False
        )
    except (OSError, subprocess.SubprocessError):
        return [None] * len(paths)
    pdfs = [outdir / f"{path.stem}.pdf" for path in paths]
    return [pdf if pdf.is_file() else None for pdf in pdfs]


def read_lines(pdf: Path) -> list[TextLine] | None:
    """Every text line of ``pdf`` with its page (from 1) and box, in points from the top."""
    try:
        done = subprocess.run(
            ["pdftotext", "-bbox-layout", str(pdf), "-"],
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_bbox_layout(done.stdout.decode("utf-8", "replace"))


def parse_bbox_layout(xhtml: str) -> list[TextLine]:
    lines = []
    for number, page in enumerate(xhtml.split("<page ")[1:], start=1):
        for match in _LINE.finditer(page):
            text = html.unescape("".join(_WORD.findall(match.group(4))))
            left, top, bottom = (float(match.group(i)) for i in (1, 2, 3))
            lines.append(TextLine(number, top, bottom, left, text))
    return sorted(lines, key=lambda line: (line.page, round(line.top), line.left))


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile_dir() -> str:
    global _profile
    if _profile is None:
        _profile = tempfile.TemporaryDirectory(prefix="campaign-report-lo-")
        atexit.register(_profile.cleanup)
    return _profile.name
