"""A checkbox whose state reads without colour: `X` when on, blank when off.

Textual's Checkbox draws `X` either way and tells on from off by colour alone, which is
lost under NO_COLOR and hard to see on 16-colour terminals over SSH. Its label wraps: a long
option inside an 80-column dialog keeps its end instead of being cut."""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Checkbox


class Tick(Checkbox):
    DEFAULT_CSS = """
    Tick { width: 1fr; height: auto; text-wrap: wrap; }
    """

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "X" if self.value else " "

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Checkbox says one line whatever the width; a wrapped label needs its lines.
        # (Textual's own widgets pass their styles the same way; its stubs say RulesMap.)
        return max(1, self.render().get_height(self.styles, width))  # type: ignore[arg-type]
