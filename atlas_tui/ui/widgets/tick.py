"""A checkbox whose state reads without colour: `X` when on, blank when off.

Textual's Checkbox draws `X` either way and tells on from off by colour alone, which is
lost under NO_COLOR and hard to see on 16-colour terminals over SSH."""

from __future__ import annotations

from textual.widgets import Checkbox


class Tick(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "X" if self.value else " "
