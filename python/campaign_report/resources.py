"""Where the shipped data files are: the definition, the example, templates, add-in sources.

An installed wheel carries them as folders inside the package (``campaign_report/workbook``
and so on, see ``package-dir`` in pyproject.toml); a source checkout, and an editable install
that points into it, has them at the top of the repo where people look for them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parents[1]


def _folder(name: str) -> Path:
    # A real path, never importlib.resources.files(): the data folders have no __init__.py,
    # so files() gives a namespace MultiplexedPath whose str() is a repr, not a path.
    shipped = _PACKAGE / name
    return shipped if shipped.is_dir() else _REPO / name


def workbook_dir() -> Path:
    """Return the folder holding definition.toml and the bundled example."""
    return _folder("workbook")


def templates_dir() -> Path:
    """Return the folder holding the Jinja2 templates of the summary document."""
    return _folder("templates")


def addin_dir() -> Path:
    """Return the folder holding the VBA and ribbon sources of the Excel side."""
    return _folder("addin")
