"""Stuck snapshots on the row screens (instances, volumes, protection): a row only knows that
some snapshot under it is stuck (folded statistics); the guide's advice goes with the mark, and
`y` reads that row's snapshots fresh and copies the diagnostic of each stuck one."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.stuck import is_stuck, snapshot_diagnostic, stuck_advice
from atlas_tui.ui.screens.base import copy_plain

if TYPE_CHECKING:
    from atlas_tui.ui.screens.base import BrowseScreen

Y_COPIES = "y copies the diagnostic of each stuck snapshot"


def stuck_note(what: str, support: str) -> Text:
    """The mark's explanation: whose snapshot is stuck, the guide's steps, what y does."""
    note = Text(f"A snapshot of {what} is stuck ({Y_COPIES}).\n", style="bold red")
    for i, advice in enumerate(stuck_advice(support), 1):
        note.append(f"{i}. {advice}\n")
    return note


def stuck_detail(what: str, support: str) -> dict[str, Any]:
    """The same, as an entry of the detail pane (`i`), labelled as the app's own words."""
    return {"atlas-tui: stuck": {
        "what": f"a snapshot of {what} has not reached BackedUp",
        "advice": list(stuck_advice(support)),
        "y": Y_COPIES,
    }}


async def copy_stuck_diagnostics(screen: BrowseScreen, volume_ids: list[str]) -> None:
    """Read the volumes' snapshots now (the server's truth, not the folded counts) and copy the
    diagnostic of every one still stuck; say so when none is any more."""
    client = screen.session.client
    settings = screen.atlas.settings
    after = timedelta(minutes=settings.stuck_after_minutes)
    try:
        snaps = [s for vid in volume_ids for s in await client.snapshots_of(vid)]
    except CloudError as err:
        screen.notify(f"could not read the snapshots: {err.text}", severity="error",
                      markup=False)
        return
    now = client.server_now()
    stuck = [s for s in snaps if is_stuck(s, now, after)]
    if not stuck:
        screen.notify("no snapshot here is stuck any more", timeout=4)
        return
    copy_plain(screen.app, "\n\n".join(snapshot_diagnostic(s, now, settings.support_address)
                                       for s in stuck))
    screen.notify(f"diagnostic of {len(stuck)} stuck snapshot(s) copied", timeout=3)
