"""Every user action, declared once: its binding id, default keys, verb, the screens it
applies to, whether it writes to the cloud, and whether the footer shows it.

Everything else derives from this table: each screen's `BINDINGS` (`bindings_for`), the
footer (a binding's `show`; write actions leave it in a read-only session), `?` help and
the palette (`for_screen`, in this order), and the read-only gate (`why_not`: a write action
in a read-only session says "read-only session" and sends nothing). The ids are the ones
`[keymap]` in settings.toml rebinds; they must not change.

Why an action is not possible now is the screen's to say (`unavailable(action)`, which
asks cloud/rules.py); `why_not` asks it after the read-only check, for every consumer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from textual.binding import Binding, BindingType

READ_ONLY = "read-only session"

# Where an action applies: a screen's name (its `ACTION_SCOPE`), BROWSE for every list
# screen, APP for every screen (bound on the App).
APP = "app"
BROWSE = "browse"
INSTANCES = "instances"
VOLUMES = "volumes"
SNAPSHOTS = "snapshots"
POLICIES = "policies"
PROTECTION = "protection"
JOBS = "jobs"
RESTORES = "restores"
DRILLS = "drills"


@dataclass(frozen=True)
class UserAction:
    id: str  # the binding id: `[keymap]` rebinds it by this name
    keys: str  # default keys, Textual's notation, comma-separated
    verb: str  # what the footer, `?` and the palette call it
    screens: tuple[str, ...]
    writes: bool = False  # changes the cloud: refused in a read-only session
    footer: bool = True
    action: str = ""  # the Textual action run; default: the id with "-" as "_"
    verbs: tuple[tuple[str, str], ...] = ()  # (screen, verb) where it reads otherwise
    footer_on: tuple[tuple[str, bool], ...] = ()  # (screen, shown) where it differs
    priority: bool = False
    key_display: str | None = None

    @property
    def name(self) -> str:
        """The Textual action name (the method is `action_<name>`)."""
        return self.action or self.id.replace("-", "_")

    def verb_on(self, screen: str) -> str:
        return dict(self.verbs).get(screen, self.verb)

    def shown_on(self, screen: str) -> bool:
        return dict(self.footer_on).get(screen, self.footer)

    def binding(self, screen: str) -> Binding:
        return Binding(self.keys, self.name, self.verb_on(screen), show=self.shown_on(screen),
                       id=self.id, priority=self.priority, key_display=self.key_display)


class Asks(Protocol):
    """What `why_not` needs of a screen: whether the session is read-only, and the
    screen's own reasons (cloud/rules.py behind them)."""

    @property
    def read_only(self) -> bool: ...

    def unavailable(self, action: str) -> str | None: ...


ACTIONS: tuple[UserAction, ...] = (
    # -- this screen's own verbs (the order is the footer's and the palette's) ----------
    # enter is bound with priority: the focused table's own enter (hidden) would otherwise
    # hide it from the footer. The screen refuses it where no table has the focus.
    UserAction("open", "enter", "Open", (INSTANCES, VOLUMES, RESTORES), priority=True,
               key_display="enter", verbs=((VOLUMES, "Snapshots"),)),
    UserAction("protection-open", "enter", "Policies", (PROTECTION,), action="open_policies",
               priority=True, footer=False, key_display="enter"),
    UserAction("restore", "R", "Restore…", (SNAPSHOTS,), writes=True),
    UserAction("snapshot", "s", "Snapshot", (INSTANCES, VOLUMES, SNAPSHOTS), writes=True,
               verbs=((SNAPSHOTS, "Snapshot now"),)),
    UserAction("vm-snapshot", "v", "VM snapshot", (INSTANCES, VOLUMES), writes=True),
    UserAction("revert-vm-snapshot", "R", "Revert to VM snap", (VOLUMES,), writes=True,
               footer=False),
    UserAction("delete", "D", "Delete", (VOLUMES, SNAPSHOTS), writes=True,
               verbs=((VOLUMES, "Delete VM snap"),), footer_on=((VOLUMES, False),)),
    UserAction("policy-add", "a", "Add", (POLICIES,), writes=True, action="add_policy"),
    UserAction("policy-edit", "e", "Edit", (POLICIES,), writes=True, action="edit_policy"),
    UserAction("policy-delete", "D", "Delete", (POLICIES,), writes=True,
               action="delete_policy"),
    UserAction("policy-fix", "f", "Fix", (POLICIES,), writes=True, action="fix_policy"),
    UserAction("policy-raw", "w", "Raw", (POLICIES,), action="toggle_raw"),
    UserAction("policies", "p", "Policies", (VOLUMES, SNAPSHOTS)),
    UserAction("protection-policies", "p", "Policies", (PROTECTION,),
               action="open_policies"),
    UserAction("protection", "P", "Protection", (INSTANCES,)),
    UserAction("drill", "T", "Test restore", (INSTANCES, SNAPSHOTS), writes=True,
               footer_on=((INSTANCES, False),)),
    UserAction("retry", "R", "Retry snapshot", (JOBS,), writes=True),
    UserAction("new-restore", "n", "New restore", (RESTORES,), writes=True),
    UserAction("stop-drill", "x", "Stop the drill", (DRILLS,), action="stop"),
    UserAction("switch-list", "tab", "Volumes/VM snaps", (VOLUMES,), footer=False),
    # -- every list screen ---------------------------------------------------------------
    UserAction("back", "escape", "Back", (BROWSE,)),
    # With priority, so the App runs it before it hands on the keys read with it (typed fast,
    # pasted, one SSH packet): they reach the bar, not the list. Not while text is typed.
    UserAction("filter", "slash", "Filter", (BROWSE,), priority=True),
    UserAction("sort", "o", "Order by", (BROWSE,), footer=False),
    UserAction("sort-reverse", "O", "Reverse order", (BROWSE,), footer=False),
    UserAction("refresh", "r", "Refresh", (BROWSE,), footer=False),
    UserAction("copy-id", "y", "Copy id", (BROWSE,), footer=False),
    UserAction("details", "i", "Details", (BROWSE,), footer=False, action="toggle_detail"),
    UserAction("exact-times", "t", "Exact times", (BROWSE,), footer=False,
               action="toggle_times"),
    UserAction("help", "question_mark", "Keys", (BROWSE,)),
    # One quit key everywhere: q (the id is the one the home screen's q had, for keymaps).
    # It asks first while a restore or a job is in flight (ui/screens/quit.py). Bound on
    # list screens too, so the footer shows it early (at 80 columns the tail is cut).
    UserAction("quit-home", "q", "Quit", (BROWSE, APP), action="quit"),
    UserAction("jump", "colon", "Jump", (BROWSE,), footer=False),
    # -- every screen (on the App) -------------------------------------------------------
    UserAction("jobs-panel", "J", "Jobs panel", (APP,), footer=False,
               action="toggle_jobs_panel"),
    # ctrl+q too, also where q is typed into a field.
    UserAction("quit", "ctrl+q", "Quit", (APP,), footer=False, priority=True),
)

# Opening on enter: bound with priority, and run only where a list that opens has the focus.
ENTER_OPENS = frozenset(a.name for a in ACTIONS if a.keys == "enter" and a.priority)


def bindings_for(screen: str) -> list[BindingType]:
    """The BINDINGS of a screen (or BROWSE, APP), derived from the table."""
    return [a.binding(screen) for a in ACTIONS if screen in a.screens]


def scopes(screen: Any) -> tuple[str, ...]:
    """The scopes whose actions a screen has: its own, BROWSE for list screens (those
    declaring `ACTION_SCOPE`, as BrowseScreen does), and APP for every screen."""
    own = getattr(screen, "ACTION_SCOPE", "")
    browse = (BROWSE,) if hasattr(screen, "ACTION_SCOPE") else ()
    return ((own,) if own else ()) + browse + (APP,)


def for_screen(screen: Any) -> Iterator[tuple[UserAction, str]]:
    """(action, scope) of a screen: its own first, then every list screen's, then the App's."""
    for scope in scopes(screen):
        for action in ACTIONS:
            if scope in action.screens:
                yield action, scope


def find(screen: Any, name: str) -> UserAction | None:
    """The registered action a screen runs under this Textual action name."""
    return next((a for a, _scope in for_screen(screen) if a.name == name), None)


def write_names(screen: Any) -> frozenset[str]:
    return frozenset(a.name for a, _scope in for_screen(screen) if a.writes)


def why_not(screen: Asks, action: UserAction | None, name: str = "") -> str | None:
    """Why the action cannot run now on this screen, or None. The one gate before a write:
    a read-only session refuses every write action here; then the screen's rules."""
    if action is not None and action.writes and screen.read_only:
        return READ_ONLY
    return screen.unavailable(action.name if action is not None else name)


def writes_everywhere() -> list[tuple[str, UserAction]]:
    """(screen, action) for every write action: what the read-only test presses."""
    return [(s, a) for a in ACTIONS if a.writes for s in a.screens]
