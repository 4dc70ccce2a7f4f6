"""Measure where a .docx's lines fall: render it with LibreOffice, read the PDF's text boxes.

Used by the .docx writer to place the closing block (署名, date, 版记) after GB/T 9704, whose
position depends on where the pages end. Needs ``soffice`` and poppler's ``pdftotext`` on PATH;
without them :func:`measure_docx` returns None and the writer falls back to a layout that needs
no measurement.

LibreOffice takes seconds to start, more than the rest of a one-county report. Two things hide
that: :func:`office_started` starts it in the background when a report begins, and the
rendering hands the files to that instance once they exist; and a document measured before
(the same parts, the same LibreOffice, fonts and poppler) is read from a cache in the user's
cache folder instead of being rendered again.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import html
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..document import TextLine

RENDER_TIMEOUT = 90  # seconds; a cold LibreOffice start on a busy PC takes a while

_LINE = re.compile(
    r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', re.S
)
_WORD = re.compile(r"<word [^>]*>([^<]*)</word>")
_profile: tempfile.TemporaryDirectory[str] | None = None
_early: subprocess.Popen[bytes] | None = None  # the instance started ahead, until it is used


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
    keys = [_cache_key(Path(p)) for p in paths]
    _note_keys(keys)
    found = [_cached(key) for key in keys]
    todo = [index for index, lines in enumerate(found) if lines is None]
    if not todo:
        stop_early()  # nothing to render: the instance started ahead is not needed
        return found
    with tempfile.TemporaryDirectory(prefix="campaign-report-") as tmp:
        pdfs = render_pdfs([Path(paths[i]) for i in todo], Path(tmp))
        with ThreadPoolExecutor(max_workers=len(pdfs)) as pool:  # one pdftotext a file, at once
            read = list(pool.map(lambda pdf: None if pdf is None else read_lines(pdf), pdfs))
        for index, lines in zip(todo, read, strict=True):
            found[index] = lines
            if lines is not None:
                _store(keys[index], lines)
    _prune()
    return found


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
    # With an instance started ahead on this profile, this command hands the files to it and
    # waits until they are converted; that instance then quits.
    early = _take_early()
    try:
        subprocess.run(
            command, capture_output=True, timeout=RENDER_TIMEOUT * len(paths), check=False
        )
    except (OSError, subprocess.SubprocessError):
        return [None] * len(paths)
    finally:
        if early is not None:  # it quits once the files are converted: reaped later
            _quitting.append(early)
            if not _depth:  # no report block to reap it at its end: now
                _reap_quitting()
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


# -- LibreOffice started ahead --

_depth = 0  # office_started blocks entered and not yet left
_inputs_key: str | None = None  # the current report's inputs, for the cache's notes


@contextlib.contextmanager
def office_started(inputs: Sequence[Path] = ()) -> Iterator[None]:
    """Start LibreOffice in the background for the measuring to come (see
    :func:`_start_early`); on leaving the outermost block, stop what is left of it (a report
    refused, or one whose layouts are all in the cache, renders nothing)."""
    global _depth, _inputs_key
    if not _depth:
        _start_early(inputs)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth:
            stop_early()
            _reap_quitting()
            _inputs_key = None


def _start_early(inputs: Sequence[Path]) -> None:
    """Start a headless LibreOffice on this process's profile, once; :func:`render_pdfs` then
    hands its files to it, so its seconds of start-up overlap the work before the rendering.

    ``inputs`` are the files the report is made from (the book, a template). When the last
    report from the very same files found every layout in the cache, nothing is started.
    POSIX only: there the launcher and the office it starts can be stopped as one group.
    """
    global _early, _inputs_key
    if _early is not None or os.name != "posix" or not available():
        return
    _inputs_key = _digest_files(inputs) if inputs else None
    if _inputs_key is not None and _all_cached(_inputs_key):
        return
    profile = Path(_profile_dir()).as_uri()
    command = [_soffice(), f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    try:
        _early = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return
    atexit.register(stop_early)  # runs before the profile's cleanup (registered earlier)


# Instances started ahead that were handed their files: each quits once they are converted
# (about 0.1 s later). The report reads the PDFs and writes the .docx meanwhile, and they are
# waited for at the end of the report block (or at once outside one).
_quitting: list[subprocess.Popen[bytes]] = []


def _reap_quitting() -> None:
    while _quitting:
        _stop(_quitting.pop(), grace=3)


def stop_early() -> None:
    """Stop the instance started ahead, unused: at once, there is nothing of it to keep."""
    early = _take_early()
    if early is not None:
        _stop(early, grace=0)


def _take_early() -> subprocess.Popen[bytes] | None:
    global _early
    early, _early = _early, None
    return early


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """Wait ``grace`` seconds for ``process`` to quit, then end its group (the launcher and
    the office it started)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    if process.poll() is None:
        sockets = _office_sockets(process.pid)
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        for pipe in sockets:  # an office that quits by itself removes its pipe; a killed one
            with contextlib.suppress(OSError):  # cannot
                if stat.S_ISSOCK(pipe.lstat().st_mode):
                    pipe.unlink()


def _office_sockets(pid: int) -> list[Path]:
    """The named sockets of LibreOffice's single-instance pipe that the launcher ``pid`` and
    the office it started listen on; found through /proc, so on Linux only."""
    try:
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()  # any of the launcher's threads
            for child in (task / "children").read_text().split()
        ]
        inodes = set()
        for owner in [pid, *children]:
            for handle in Path(f"/proc/{owner}/fd").iterdir():
                link = os.readlink(handle)
                if link.startswith("socket:["):
                    inodes.add(link[len("socket:[") : -1])
        table = Path("/proc/net/unix").read_text().splitlines()[1:]
    except (OSError, ValueError):
        return []
    fields = [line.split() for line in table]
    return [Path(f[7]) for f in fields if len(f) >= 8 and f[6] in inodes and "/OSL_PIPE_" in f[7]]


# -- measurements kept between runs --

_CACHE_VERSION = "page-lines-1"
_SKIPPED_PART = "docProps/core.xml"  # the time of writing; no bearing on the layout


def cache_dir() -> Path:
    """Where measured lines are kept: ``CAMPAIGN_REPORT_CACHE`` or the user's cache folder."""
    if os.environ.get("CAMPAIGN_REPORT_CACHE"):
        return Path(os.environ["CAMPAIGN_REPORT_CACHE"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif os.environ.get("XDG_CACHE_HOME") and sys.platform not in ("win32", "darwin"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    else:
        # Without a home folder (RuntimeError) there is no cache: every document is measured.
        home = Path.home()
        base = {
            "win32": home / "AppData" / "Local",
            "darwin": home / "Library" / "Caches",
        }.get(sys.platform, home / ".cache")
    return base / "campaign-report" / "page-lines"


def _cache_key(path: Path) -> str | None:
    """A digest of what decides the lines: every part of the .docx but its time stamps, and
    the LibreOffice, fonts and pdftotext that render and read it. None when unreadable."""
    try:
        cache_dir()
    except RuntimeError:  # no home folder: nowhere to keep anything
        return None
    digest = hashlib.sha256(f"{_CACHE_VERSION}\n{_setup_fingerprint()}\n".encode())
    try:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name != _SKIPPED_PART:
                    data = archive.read(name)
                    digest.update(f"{name}\n{len(data)}\n".encode())
                    digest.update(data)
    except (OSError, zipfile.BadZipFile):
        return None
    return digest.hexdigest()


def _cached(key: str | None) -> list[TextLine] | None:
    if key is None:
        return None
    try:
        rows = json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
        return [TextLine(int(p), float(t), float(b), float(x), str(s)) for p, t, b, x, s in rows]
    except (OSError, ValueError, TypeError):  # none yet, or damaged: render as usual
        return None


def _store(key: str | None, lines: list[TextLine]) -> None:
    if key is None:
        return
    rows = [[line.page, line.top, line.bottom, line.left, line.text] for line in lines]
    _write_json(cache_dir() / f"{key}.json", rows)


KEEP_ENTRIES = 600  # about three a report: the last two hundred reports, some megabytes


def _prune() -> None:
    """Drop the oldest entries beyond :data:`KEEP_ENTRIES`: the cache must not grow without end."""
    with contextlib.suppress(OSError, RuntimeError):
        entries = [(e.stat().st_mtime, e.path) for e in os.scandir(cache_dir())]
        for _, path in sorted(entries, reverse=True)[KEEP_ENTRIES:]:
            with contextlib.suppress(OSError):
                os.remove(path)


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` whole or not at all; an unwritable cache costs the next run."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(handle.name, path)


_fingerprint: str | None = None


def _setup_fingerprint() -> str:
    """What else decides the lines: the LibreOffice and pdftotext programs (path, size, time)
    and the font folders (each folder's time changes when a font is added or removed)."""
    global _fingerprint
    if _fingerprint is None:
        programs = [_soffice(), shutil.which("pdftotext")]
        real = [Path(os.path.realpath(p)) for p in programs if p]
        office = real[0].parent if real else None
        stamps = [_stamp(p) for p in real]
        if office is not None:
            stamps += [_stamp(office / name) for name in ("soffice.bin", "versionrc")]
        for folder in _font_folders(office):
            for root, _dirs, _files in os.walk(folder):
                stamps.append(_stamp(Path(root)))
        _fingerprint = "\n".join(stamps)
    return _fingerprint


def _font_folders(office: Path | None) -> list[Path]:
    try:
        home = Path.home()
    except RuntimeError:
        home = Path(os.sep, "nonexistent")
    folders = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        Path("/etc/fonts"),
        home / ".fonts",
        home / ".local" / "share" / "fonts",
        home / "Library" / "Fonts",
        Path("/Library/Fonts"),
        Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
    ]
    if office is not None:
        folders.append(office.parent / "share" / "fonts")
    return [f for f in folders if f.is_dir()]


def _stamp(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return f"{path} -"
    return f"{path} {info.st_size} {info.st_mtime_ns}"


# What the last report from the same inputs measured: when all of it is in the cache, the next
# one starts no LibreOffice ahead. Only a guess to save a start; the lines themselves are
# always looked up by the document's own digest.


def _digest_files(paths: Sequence[Path]) -> str | None:
    digest = hashlib.sha256(_CACHE_VERSION.encode())
    try:
        for path in paths:
            digest.update(Path(path).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _notes_path(inputs_key: str) -> Path:
    return cache_dir() / f"inputs-{inputs_key}.json"


def _all_cached(inputs_key: str) -> bool:
    try:
        keys = json.loads(_notes_path(inputs_key).read_text(encoding="utf-8"))
        return bool(keys) and all((cache_dir() / f"{key}.json").is_file() for key in keys)
    except (OSError, ValueError, TypeError, RuntimeError):
        return False


def _note_keys(keys: Sequence[str | None]) -> None:
    if _inputs_key is None or any(key is None for key in keys):
        return
    path = _notes_path(_inputs_key)
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = []
    if not isinstance(known, list):
        known = []
    _write_json(path, known + [k for k in keys if k not in known])
