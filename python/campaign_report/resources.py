"""Where the shipped data files are: the definition, the example, templates, add-in sources.

In a source checkout (and an editable install) they are the repo's top-level
folders; an installed wheel carries them as the package's data subpackages.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def _folder(name: str) -> Path:
    in_checkout = _REPO / name
    if (_REPO / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return Path(str(resources.files(f"campaign_report.{name}")))


def workbook_dir() -> Path:
    """Return the folder holding definition.toml and the bundled example."""
    return _folder("workbook")


def templates_dir() -> Path:
    """Return the folder holding the Jinja2 templates of the summary document."""
    return _folder("templates")


def addin_dir() -> Path:
    """Return the folder holding the VBA and ribbon sources of the Excel side."""
    return _folder("addin")
