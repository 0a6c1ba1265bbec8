"""Repaint only what changed: an idle screen over a slow SSH link must stay quiet.

`Static.update` repaints its widget (and lays the screen out again) even with the same text,
so notes and panels that a timer rewrites every second go through `quiet_update`."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static

from atlas_tui.ui.widgets.content import same_content


def quiet_update(widget: Static, content: VisualType) -> None:
    """`widget.update(content)`, unless the widget already shows the same."""
    if not same_content(widget.content, content):
        widget.update(content)
