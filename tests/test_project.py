"""The project's own promises: docs generated from the definition, README commands, ruff."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from campaign_report.cli import build_parser
from campaign_report.definition import definition_markdown

REPO = Path(__file__).resolve().parents[1]


def test_workbook_docs_are_generated_from_the_definition(definition) -> None:
    docs = (REPO / "docs" / "workbook.md").read_text(encoding="utf-8")
    assert docs == definition_markdown(definition), (
        "run: campaign-report schema --markdown > docs/workbook.md"
    )


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```bash\n")[1:3]]
    demo, tests = (b.strip() for b in blocks)
    assert "campaign-report demo" in demo
    assert tests.endswith("pytest -q")
    assert tests in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        assert f"campaign-report {name}" in readme, name
        assert sub.description or sub.format_help()


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    done = subprocess.run(
        [ruff, "check", "python", "tests", "addin", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_shipped_data_folders_are_real_paths_wherever_the_package_is_installed() -> None:
    # Under CI's plain (non-editable) install these resolve inside site-packages.
    from campaign_report import resources

    assert (resources.workbook_dir() / "definition.toml").is_file()
    assert (resources.workbook_dir() / "example").is_dir()
    assert any(resources.templates_dir().glob("*.j2"))
    assert (resources.addin_dir() / "customUI.xml").is_file()


def test_the_console_script_leaves_at_once_yet_runs_exit_handlers_and_flushes(
    example: Path, tmp_path: Path
) -> None:
    """run() ends the process with os._exit: the exit code, the whole output and what
    atexit was asked to do (LibreOffice stopped, its profile removed) must all survive."""
    import tomllib

    scripts = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert scripts["scripts"]["campaign-report"] == "campaign_report.cli:run"
    handled = tmp_path / "exit-handler-ran"
    code = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(handled)!r}).write_text, 'yes')\n"
        f"sys.argv = ['campaign-report', 'validate', {str(example)!r}, '--no-copy']\n"
        "from campaign_report.cli import run\n"
        "run()\n"
        "raise SystemExit(99)  # never reached\n"
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as usual
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=buffered
    )
    expected = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom campaign_report.cli import main\n"
            f"sys.exit(main(['validate', {str(example)!r}, '--no-copy']))",
        ],
        capture_output=True,
        text=True,
    )
    assert handled.read_text() == "yes"
    assert done.returncode == expected.returncode
    assert done.stdout == expected.stdout and done.stdout.strip()
