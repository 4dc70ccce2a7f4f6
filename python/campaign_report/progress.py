"""Progress a person can see: step lines, and a bar over the sheets or parts of a long step.

A step function takes ``progress``, a callable that shows one line. A host that can draw a
bar (the CLI on a terminal, Excel's status bar) also gives it a ``bar(label, total)`` method
returning a ``tick(item)`` callable; :func:`ticker` hands loops that tick, or a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Tick = Callable[[str], None]


def _no_tick(item: str) -> None:
    pass


def ticker(progress: Any, label: str, total: int) -> Tick:
    """A tick for each of ``total`` items of a loop: the host's bar when it has one."""
    bar = getattr(progress, "bar", None)
    return bar(label, total) if callable(bar) and total > 1 else _no_tick
