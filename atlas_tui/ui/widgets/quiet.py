"""Repaint only what changed: an idle screen over a slow SSH link must stay quiet.

`Static.update` repaints its widget (and lays the screen out again) even with the same text,
so notes and panels that a timer rewrites every second go through `quiet_update`."""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static


def same_content(a: object, b: object) -> bool:
    """Two contents (a widget's, a table cell's) that render alike: Rich's Text == leaves
    out the base style. Plain strings and (text, style) cells compare by value; anything
    else is taken to differ."""
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain == b.plain and a.style == b.style and a.spans == b.spans
                and a.justify == b.justify and a.no_wrap == b.no_wrap)
    return isinstance(a, str | tuple) and type(a) is type(b) and a == b


def quiet_update(widget: Static, content: VisualType) -> None:
    """`widget.update(content)`, unless the widget already shows the same."""
    if not same_content(widget.content, content):
        widget.update(content)
