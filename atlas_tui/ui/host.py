"""What screens need from the App, and nothing more.

Screens depend on this interface, not on the App class: `app.py` imports the screens, and
no screen imports `app.py` (no import cycle). The App (atlas_tui.app.AtlasApp) provides it;
a test checks that it does. Adding a member here is a decision: say why a screen needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from atlas_tui.cloud.actions import Actions, Outcome
    from atlas_tui.cloud.api.models import Snapshot
    from atlas_tui.cloud.jobs import JobTracker
    from atlas_tui.cloud.restore.journal import Journal
    from atlas_tui.cloud.restore.plan import RestorePlan
    from atlas_tui.cloud.restore.task import RestoreTask
    from atlas_tui.cloud.session import Session
    from atlas_tui.settings import Settings


class AppServices(Protocol):
    # -- the connection and what it owns (None while connecting) --
    session: Session | None
    tracker: JobTracker | None
    actions: Actions | None
    restores: list[RestoreTask]

    # -- the user's settings and the view toggles every screen shares --
    settings: Settings
    exact_times: bool
    jobs_panel_hidden: bool

    # -- errors: one handler for every screen --
    def report(self, error: BaseException, what: str = "") -> None: ...

    # -- work that must outlive the screen that started it --
    def run_actions(self, work: Awaitable[list[Outcome]], title: str) -> None: ...
    def start_restore(self, plan: RestorePlan, *, journal: Journal | None = None,
                      rollback: bool = False, replace: bool = False) -> RestoreTask: ...
    def restore_flag(self, vm_id: str) -> str: ...
    def offer_unfinished(self, journal: Journal) -> None: ...
    def start_drills(self, snapshots: Sequence[Snapshot], *, show: bool = False) -> None: ...
    def stop_drills(self) -> None: ...

    # -- navigation and the connection --
    def action_jump(self) -> None: ...
    async def action_quit(self) -> None: ...
    def connect(self) -> Any: ...  # a worker: returns its handle
    def start_demo(self) -> None: ...


def services(app: App[Any]) -> AppServices:
    """The running App, seen through what screens may use of it."""
    return cast("AppServices", app)
