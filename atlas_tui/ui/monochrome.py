"""NO_COLOR that stays readable.

Textual's NO_COLOR filter turns each colour into its grey of equal luminance: red text (an
unprotected volume, an error) becomes dark grey on a near-black background, almost invisible.
This filter greys the same way, then moves any text too close to its background to black or
white, so whatever colour used to carry stands out by contrast (words and symbols carry the
meaning; see ui/format.py).
"""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, Monochrome

MIN_CONTRAST = 0.4  # of perceived brightness, 0..1: below it text is hard to read


def _grey(color: RichColor | None) -> Color | None:
    if color is None or color.is_default:
        return None
    return Color.from_rich_color(color).monochrome


def readable_style(style: Style | None, background: Color) -> Style | None:
    if style is None:
        return None
    fg = _grey(style.color)
    bg = _grey(style.bgcolor)
    behind = bg or background.monochrome
    if fg is not None and abs(fg.brightness - behind.brightness) < MIN_CONTRAST:
        fg = behind.get_contrast_text(1.0)
    return style + Style.from_color(fg.rich_color if fg else None,
                                    bg.rich_color if bg else None)


class ReadableMonochrome(LineFilter):
    """Monochrome with enough contrast between each text and its background."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, readable_style(style, background), None)
                for text, style, _ in segments]


def use_readable_monochrome(app: Any) -> None:
    """Under NO_COLOR, swap Textual's Monochrome filter for ReadableMonochrome. (`_filters`
    is the App's list of line filters; Textual fills it from NO_COLOR in App.__init__.)"""
    filters = getattr(app, "_filters", None)
    if not getattr(app, "no_color", False) or filters is None:
        return
    for i, line_filter in enumerate(filters):
        if isinstance(line_filter, Monochrome):
            filters[i] = ReadableMonochrome()
