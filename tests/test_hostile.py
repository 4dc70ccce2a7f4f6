"""Every command on every hostile workbook: a documented exit code, one Chinese line, no traceback.

The corpus is built from the bundled example by ``tests/hostile.py``. Commands run in-process
through ``cli.main`` (fast); the big files also run as subprocesses under a 1 GB memory limit
and a 30 s timeout.
"""

from __future__ import annotations

import hashlib
import re
import resource
import subprocess
import sys
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
BIG = ("zip-bomb", "million-empty-formatted-rows", "sixteen-thousand-columns")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, example_master: Path) -> list[Case]:
    cases = build_corpus(example_master, tmp_path_factory.mktemp("hostile"))
    yield cases
    release(cases)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"


def _run(case: Case, command: list[str], capsys) -> tuple[int, str]:
    code = main([*command, str(case.book)])
    return code, capsys.readouterr().err


def _expected(case: Case, command: str, validate_code: int) -> set[int]:
    if case.kind == UNREADABLE:
        return {2}
    if case.kind == UNWRITABLE:
        return {1, 2} if command == "report" else {2}
    return {
        "validate": {0, 1},
        "aggregate": {0},
        "report": {validate_code},  # refused (1) exactly when the book has errors
        "report --force": {0},
    }[command]


def _check_last_line(err: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and CJK.search(lines[-1]), err


def test_the_corpus_is_big_enough(corpus: list[Case]) -> None:
    assert len(corpus) >= 60
    kinds = {c.kind for c in corpus}
    assert kinds == {READABLE, UNREADABLE, UNWRITABLE}


def test_every_command_on_every_file(corpus: list[Case], capsys) -> None:
    failures = []
    for case in corpus:
        before = {p.name: _digest(p) for p in case.folder.iterdir()}
        book_digest = _digest(case.book)
        validate_code = None
        for label, command in COMMANDS.items():
            code, err = _run(case, command, capsys)
            if label == "validate":
                validate_code = code
            try:
                assert code in _expected(case, label, validate_code), (code, err)
                _check_last_line(err)
                if code == 2:
                    assert err.splitlines()[-1].startswith("错误："), err
            except AssertionError as error:
                failures.append(f"{case.name} / {label}: {error}")
        assert _digest(case.book) == book_digest, case.name
        after = {p.name: _digest(p) for p in case.folder.iterdir()}
        for name, digest in before.items():  # nothing that was there changed
            assert after.get(name) == digest, (case.name, name)
        stray = [n for n in after if n not in before and not OUTPUT.match(n)]
        assert not stray, (case.name, stray)
    assert not failures, "\n".join(failures)


def test_edited_outputs_are_kept_and_the_next_name_is_written(corpus: list[Case]) -> None:
    case = next(c for c in corpus if c.name == "edited-outputs")
    names = {p.name for p in case.folder.iterdir()}
    assert {"台账.校验-2.xlsx", "台账.汇总-2.xlsx", "台账.工作总结-2.docx"} <= names


def test_in_process_memory_stayed_under_1_gb(corpus: list[Case]) -> None:
    """Peak resident memory of this test process, after the whole corpus ran in it."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_kb < 1024 * 1024


@pytest.mark.parametrize("name", BIG)
@pytest.mark.parametrize("command", [["validate"], ["aggregate"], ["report", "--force"]])
def test_big_files_as_subprocesses(corpus: list[Case], name: str, command: list[str]) -> None:
    case = next(c for c in corpus if c.name == name)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # address space, not RSS

    done = subprocess.run(
        [sys.executable, "-m", "campaign_report", *command, str(case.book)],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=limit,
    )
    assert done.returncode in _expected(case, " ".join(command), 1), done.stderr
    _check_last_line(done.stderr)
