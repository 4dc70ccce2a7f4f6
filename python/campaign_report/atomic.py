"""Write outputs in one step, and only over files the tool itself wrote and nobody changed since.

Every output is written to a scratch file beside its target and moved into place, so a
reader, Excel or a crash never sees half a file. Each output carries a stamp: a zip comment
(.xlsx/.docx) or a last line (.md) holding a hash of what the tool wrote. Before replacing
an existing file the tool checks that stamp (:func:`claim`):

- no file yet, or the tool's own file unchanged: write it;
- a read-only file: refuse (someone protected it);
- any other file (edited since, e.g. by a clerk who corrected cells, or not the tool's):
  keep it and write the next free name, 台账.校验-2.xlsx, and say so.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import stat
import sys
import traceback
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

_ZIP_STAMP = b"campaign-report:"
_TEXT_STAMP = "<!-- campaign-report:"
_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".docx")


# -- which name to write --


def claim(*paths: Path) -> tuple[list[Path], str]:
    """The names to write ``paths`` to, and a Chinese note when they are not the ones asked for.

    Outputs written together (a .docx and its .md) keep one number: 报告-2.docx, 报告-2.md.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if path.is_dir():
            raise OutputError(f"无法写入“{path}”：同名的文件夹已存在，请换一个文件名")
        if path.exists() and _read_only(path):
            raise OutputError(
                f"“{path}”是只读文件，本工具不覆盖只读文件：请去掉只读属性，或用 --out 另指定文件名"
            )
    number = 1
    while True:
        names = [_numbered(p, number) for p in paths]
        if all(_free_or_ours(n) for n in names):
            break
        number += 1
    if number == 1:
        return names, ""
    kept = "、".join(f"“{p.name}”" for p in paths if p.exists() and not is_ours(p))
    written = "、".join(f"“{n.name}”" for n in names)
    return names, f"{kept}在本工具写出后被修改过（或不是本工具写的），原样保留；这次写到{written}。"


def _numbered(path: Path, number: int) -> Path:
    return path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")


def _free_or_ours(path: Path) -> bool:
    if not path.exists():
        return True
    return not path.is_dir() and not _read_only(path) and is_ours(path)


def _read_only(path: Path) -> bool:
    """No write bit for anyone (the Windows read-only flag), or no write access for us.

    The mode bits are checked too because an administrator (root) can write anyway.
    """
    return not (path.stat().st_mode & 0o222) or not os.access(path, os.W_OK)


def is_ours(path: Path) -> bool:
    """True when ``path`` is exactly what the tool wrote: its stamp matches its content."""
    try:
        if Path(path).suffix.lower() in _ZIP_SUFFIXES:
            with zipfile.ZipFile(path) as archive:
                return archive.comment == _ZIP_STAMP + _zip_fingerprint(archive, Path(path).name)
        text = Path(path).read_text(encoding="utf-8")
        body, _, last = text.rstrip("\n").rpartition("\n")
        return last == _text_stamp(body + "\n", Path(path).name)
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def _zip_fingerprint(archive: zipfile.ZipFile, name: str) -> bytes:
    """A hash of the file's name and every member's name, size and CRC.

    Any re-save or edit changes it; so does a copy under another name (a template the tool
    built, renamed by hand, is the user's file then).
    """
    digest = hashlib.sha256(name.encode("utf-8"))
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        digest.update(f"{info.filename}\0{info.file_size}\0{info.CRC}\n".encode())
    return digest.hexdigest()[:32].encode()


def _text_stamp(body: str, name: str) -> str:
    digest = hashlib.sha256(f"{name}\0{body}".encode()).hexdigest()[:32]
    return f"{_TEXT_STAMP}{digest} -->"


def _stamp(scratch: Path, name: str) -> None:
    """Mark a freshly written scratch file as the tool's own output called ``name``."""
    if scratch.suffix.lower() in _ZIP_SUFFIXES and zipfile.is_zipfile(scratch):
        with zipfile.ZipFile(scratch, "a") as archive:
            archive.comment = _ZIP_STAMP + _zip_fingerprint(archive, name)
    elif scratch.suffix.lower() == ".md":
        body = scratch.read_text(encoding="utf-8").rstrip("\n") + "\n"
        scratch.write_text(body + _text_stamp(body, name) + "\n", encoding="utf-8")


# -- writing --


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a scratch path beside ``path``; when the block succeeds it replaces ``path``."""
    with atomic_paths([path]) as (scratch,):
        yield scratch


@contextmanager
def atomic_paths(paths: Sequence[Path]) -> Iterator[list[Path]]:
    """Scratch paths for outputs that belong together: all of them are written, or none.

    Each scratch file lives in its target's folder (so ``os.replace`` is one step) and keeps
    the suffix, for writers that look at it. Only when every writer has finished are they
    stamped, flushed and moved into place; on failure they are removed and the targets stay
    as they were. An OSError becomes one Chinese line naming the real output and the reason.
    """
    paths = [Path(p) for p in paths]
    scratches = [p.with_name(f".{p.stem}.{uuid.uuid4().hex[:8]}{p.suffix}") for p in paths]
    current = paths[0]
    try:
        for path in paths:
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            if read_only_folder(path.parent):
                raise PermissionError(errno.EACCES, "read-only folder", str(path.parent))
        current = paths[0]
        yield scratches
        for path, scratch in zip(paths, scratches, strict=True):
            current = path
            _stamp(scratch, path.name)
            with open(scratch, "rb+") as written:
                os.fsync(written.fileno())
        for path, scratch in zip(paths, scratches, strict=True):
            current = path
            os.replace(scratch, path)
    except OSError as error:
        _release(error)
        for path, scratch in zip(paths, scratches, strict=True):
            if error.filename and Path(error.filename).name == scratch.name:
                current = path  # the writer names its scratch file: name the real output
        raise OutputError(f"无法写入“{current}”：{reason(error)}") from None
    except BaseException as error:
        _release(error)
        raise
    finally:
        for scratch in scratches:
            with contextlib.suppress(OSError):
                scratch.unlink(missing_ok=True)


def _release(error: BaseException) -> None:
    """Close what the failed writer left open (a half-written ZipFile) before the scratch goes.

    Otherwise the ZipFile closes itself at exit, fails again on a full disk and prints a
    traceback; and on Windows an open file cannot be removed.
    """
    if error.__traceback__ is not None:
        traceback.clear_frames(error.__traceback__)
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def reason(error: OSError) -> str:
    """Why a file cannot be written, in the words an office clerk can act on."""
    code = error.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "磁盘已满，请腾出空间后再试"
    if code == errno.EROFS:
        return "磁盘是只读的，请换一个文件夹"
    if code in (errno.EBUSY, errno.ETXTBSY) or getattr(error, "winerror", None) in (32, 33):
        return "文件被其他程序占用（是否正在 Excel 或 Word 中打开？），请关闭后再试"
    if code in (errno.EACCES, errno.EPERM):
        if sys.platform == "win32":
            return "没有写入权限：文件夹或文件是只读的，或文件正在 Excel 或 Word 中打开"
        return "没有写入权限：文件夹或文件是只读的"
    if code in (errno.ENOTDIR, errno.ENOENT, errno.EEXIST):
        return "文件夹不存在或路径中有同名的文件"
    if code == errno.EISDIR:
        return "同名的文件夹已存在"
    if code == errno.ENAMETOOLONG:
        return "文件名太长"
    return error.strerror or str(error)


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as scratch:
        scratch.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    """Write ``text``; an .md gets the tool's stamp as its last line (an invisible comment)."""
    return write_bytes(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def read_only_folder(folder: Path) -> bool:
    """A folder nobody may write into (checked by mode too, as root could write anyway)."""
    try:
        return not (folder.stat().st_mode & stat.S_IWUSR) or not os.access(folder, os.W_OK)
    except OSError:
        return False
