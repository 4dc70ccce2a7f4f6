"""Every command on every hostile workbook: a documented exit code, one Chinese line, no traceback.

The corpus is built from the bundled example by ``tests/hostile.py``. Commands run in-process
through ``cli.main`` (fast); the big files also run as subprocesses under a 1 GB memory limit
and a 30 s timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import re
import resource
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hostile import READABLE, UNREADABLE, UNWRITABLE, Case, build_corpus, release

from campaign_report.cli import main

COMMANDS = {
    "validate": ["validate"],
    "aggregate": ["aggregate"],
    "report": ["report"],
    "report --force": ["report", "--force"],
}
OUTPUT = re.compile(r"^台账(\.(校验|汇总|工作总结)(-\d+)?\.(xlsx|xlsm|docx|md))?$")
CJK = re.compile(r"[\u4e00-\u9fff]")
BIG = ("zip-bomb", "million-empty-formatted-rows", "sixteen-thousand-columns", "last-cell-far-away")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, example_master: Path) -> list[Case]:
    cases = build_corpus(example_master, tmp_path_factory.mktemp("hostile"))
    yield cases
    release(cases)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"


def _run(case: Case, command: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*command, str(case.book)])
    return code, err.getvalue()


def _expected(case: Case, command: str, validate_code: int | None) -> set[int]:
    if case.kind == UNREADABLE:
        return {2}
    if case.kind == UNWRITABLE:
        return {1, 2} if command == "report" else {2}
    return {
        "validate": {0, 1},
        "aggregate": {0, 1},  # 1: figures left incomplete by a missing column (no silent zero)
        # refused (1) whenever the book has errors, and also for incomplete figures
        "report": {1} if validate_code == 1 else {0, 1},
        "report --force": {0},
    }[command]


def _check_last_line(err: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and CJK.search(lines[-1]), err


def check_case(case: Case) -> tuple[list[str], int]:
    """Every command on one file; the failures found, and this process's peak memory (KB)."""
    failures = []
    before = {p.name: _digest(p) for p in case.folder.iterdir()}
    validate_code = None
    for label, command in COMMANDS.items():
        try:
            code, err = _run(case, command)
        except BaseException as error:  # noqa: BLE001 - a raise past main is the failure
            failures.append(f"{case.name} / {label}: raised {error!r}")
            continue
        validate_code = code if label == "validate" else validate_code
        try:
            assert code in _expected(case, label, validate_code), (code, err)
            _check_last_line(err)
            if code == 2:
                assert err.splitlines()[-1].startswith("错误："), err
        except AssertionError as error:
            failures.append(f"{case.name} / {label}: {error}")
    after = {p.name: _digest(p) for p in case.folder.iterdir()}
    changed = [n for n, digest in before.items() if after.get(n) != digest]
    stray = [n for n in after if n not in before and not OUTPUT.match(n)]
    if changed or stray:
        failures.append(f"{case.name}: changed {changed}, stray {stray}")
    return failures, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_the_corpus_is_big_enough(corpus: list[Case]) -> None:
    assert len(corpus) >= 60
    kinds = {c.kind for c in corpus}
    assert kinds == {READABLE, UNREADABLE, UNWRITABLE}


def test_every_command_on_every_file(corpus: list[Case]) -> None:
    """Two worker processes (CI has two cores); each file's four runs happen in one worker."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(check_case, corpus))
    failures = [f for found, _ in results for f in found]
    assert not failures, "\n".join(failures)
    peak_kb = max(peak for _, peak in results)
    assert peak_kb < 1024 * 1024  # every run stayed under 1 GB (the worker's peak covers all)


def test_edited_outputs_are_kept_and_the_next_name_is_written(corpus: list[Case]) -> None:
    case = next(c for c in corpus if c.name == "edited-outputs")
    names = {p.name for p in case.folder.iterdir()}
    assert {"台账.校验-2.xlsx", "台账.汇总-2.xlsx", "台账.工作总结-2.docx"} <= names


@pytest.mark.parametrize("name", BIG)
@pytest.mark.parametrize("command", [["validate"], ["aggregate"], ["report", "--force"]])
def test_big_files_as_subprocesses(corpus: list[Case], name: str, command: list[str]) -> None:
    case = next(c for c in corpus if c.name == name)

    def limit() -> None:
        # a safety net for the machine; the 1 GB bound on resident memory is asserted below
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "campaign_report", *command, str(case.book)],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit,
    )
    assert done.returncode in _expected(case, " ".join(command), 1), done.stderr
    _check_last_line(done.stderr)
    # the largest resident set of any child so far, this one included
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1024 * 1024
