"""Whether two contents render alike: a widget's, or a table cell's. Rich's `Text ==` leaves
out the base style (a red cell and a green one would be "equal"). No Textual here: the
table's pure model (table_model.py) compares its rows with it too."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text


def same_content(a: object, b: object) -> bool:
    """Plain strings and (text, style) cells compare by value, Texts by what they render;
    anything else is taken to differ."""
    if a is b:
        return True
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain == b.plain and a.style == b.style and a.spans == b.spans
                and a.justify == b.justify and a.no_wrap == b.no_wrap)
    return isinstance(a, str | tuple) and type(a) is type(b) and a == b


def same_cells(a: Sequence[object], b: Sequence[object]) -> bool:
    """Two rows' cells that render alike, cell by cell."""
    return len(a) == len(b) and all(map(same_content, a, b))
