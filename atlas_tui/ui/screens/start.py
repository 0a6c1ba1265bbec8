"""What the user sees when there is no cloud to talk to yet: nothing configured, or the
endpoint cannot be used. Both explain, offer a way forward, and never show a traceback."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from atlas_tui.ui.host import services


class _MessageScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "demo", "Open the demo cloud", id="start-demo"),
        Binding("q", "quit", "Quit", id="start-quit"),
    ]
    DEFAULT_CSS = """
    _MessageScreen #title { text-style: bold; padding: 1 2 0 2; }
    _MessageScreen #lead { padding: 0 2 1 2; color: $text-accent; }
    _MessageScreen > VerticalScroll { padding: 0 2; }
    """

    lead = "d opens the demo cloud (no account needed) · q quits"

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body_text = body

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text), id="title")
        yield Static(Text(self.lead), id="lead")
        with VerticalScroll(id="message-scroll"):
            yield Static(Text(self.body_text), id="message")
        yield Footer()

    def on_mount(self) -> None:
        # Focused, so the arrow keys and page keys scroll a long explanation.
        self.query_one("#message-scroll").focus()

    def action_demo(self) -> None:
        services(self.app).start_demo()

    def action_quit(self) -> None:
        self.app.exit(1)


class NoConfigScreen(_MessageScreen):
    """No profile found: where we looked, how to configure, and the demo."""

    def __init__(self, help_text: str) -> None:
        super().__init__("atlas-tui needs a CloudStack API profile", help_text)


class ConnectErrorScreen(_MessageScreen):
    """The endpoint is unreachable, refuses the keys, or fails TLS: say so, offer a retry."""

    lead = "r retries · d opens the demo cloud instead · q quits"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry", id="start-retry"),
    ]

    def __init__(self, profile: str, host: str, message: str, hint: str) -> None:
        super().__init__(
            f"Cannot use profile {profile} at {host}",
            f"{message}\n\n{hint}",
        )

    def action_retry(self) -> None:
        services(self.app).connect()
