"""What every list screen shares: the chrome, filter, sort, copy, details, refresh.

A screen subclass says what its tables hold (`load`), what its path is (`crumbs`) and
what the selected row's raw fields are (`detail_of`). Keys are bindings with ids, so a
keymap in settings can rebind them, and `check_action` says when an action is
unavailable instead of hiding it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import Footer, Input

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.text import clean_text
from atlas_tui.cloud.session import DEMO_SOURCE
from atlas_tui.ui.actions import (
    BROWSE,
    ENTER_OPENS,
    bindings_for,
    find,
    why_not,
    write_names,
)
from atlas_tui.ui.host import AppServices, services
from atlas_tui.ui.widgets.chrome import AtlasHeader, Breadcrumbs, DetailPane
from atlas_tui.ui.widgets.jobs_panel import JobsPanel
from atlas_tui.ui.widgets.table import FastTable
from atlas_tui.ui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.timer import Timer

    from atlas_tui.cloud.jobs import TrackedJob
    from atlas_tui.cloud.session import Session
    from atlas_tui.ui.messages import JobChanged


LOADING_AFTER_S = 0.5  # a refresh says "loading…" once it has run this long
# The same for the refresh nobody asked for (every 30 s): the rows stay on screen while it
# runs, and flashing "loading…" and back costs two rewrites of the line on an idle screen.
AUTO_LOADING_AFTER_S = 3.0
# A list back on top catches up on its auto refresh once it has stayed there this long: esc
# pressed through a stack of screens starts no reload in each it passes (each a walk of the
# account, cancelled half a second later).
CATCH_UP_AFTER_S = 1.5
FILTER_HINT = "filter: text · ~regex · !text inverts · enter keeps · esc clears"


def copy_plain(app: App[Any], text: str) -> str:
    """Copy to the clipboard with no control character (a last guard after the client's
    cleaning): pasted into a shell, an ESC[201~ would end bracketed paste and run the rest.
    Lines stay lines (a diagnostic is several); each is cleaned. Returns what was copied."""
    copied = "\n".join(clean_text(line) for line in text.split("\n"))
    app.copy_to_clipboard(copied)
    return copied


class FilterBar(Input):
    """`/` opens it; typing filters live; Enter keeps the filter, Esc clears it."""

    # Above the footer, which docks at the bottom too: docked widgets overlap, and the
    # footer hid the bar's bottom border, where the count ("2/8") and regex errors show.
    DEFAULT_CSS = """
    FilterBar { dock: bottom; display: none; height: 3; margin-bottom: 1; }
    FilterBar.shown { display: block; }
    """
    _value_changing = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Clear filter", id="filter-cancel"),
    ]

    def action_cancel(self) -> None:
        self.value = ""
        screen = self.screen
        if isinstance(screen, BrowseScreen):
            screen.close_filter()

    def _watch_value(self, value: str) -> None:
        self._value_changing = True
        try:
            super()._watch_value(value)
        finally:
            self._value_changing = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        # Input lays the whole screen out again on every key (its text's width is a layout
        # reactive), and a layout pass repaints the table's scrollbar one frame late. The
        # bar's size is fixed by its CSS: while its text changes, a repaint is enough.
        return super().refresh(*regions, repaint=repaint,
                               layout=layout and not self._value_changing, recompose=recompose)

    def watch_value(self, value: str) -> None:
        # The table is filtered right here, while the key is handled, not on the Changed
        # message: that one bubbles up through the containers, and the screen would paint a
        # frame with the bar alone before it arrived, the rows one frame (~17-35 ms) later.
        screen = self.screen if self.is_attached else None
        if isinstance(screen, BrowseScreen):
            screen.apply_filter(self, value)


class BrowseScreen(ReportsWorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for(BROWSE)  # from ui/actions.py
    # This screen's name in ui/actions.py: which of the registered actions it has.
    ACTION_SCOPE: ClassVar[str] = ""

    DEFAULT_CSS = """
    BrowseScreen #body { height: 1fr; }
    BrowseScreen .subtitle { height: 1; color: $text-muted; padding: 0 1; }
    """

    # Workers' failures are reported by ReportsWorkerErrors; action_* workers are named by
    # their binding's description ("Snapshot failed: ...").
    WORK_LABELS: ClassVar[dict[str, str]] = {"refresh_data": "Loading this list"}

    can_go_back = True
    # A jump (`:`) opens a screen right on home, not on its parent: `up` then makes the
    # screen one level up its breadcrumb, and esc goes there instead of straight home.
    up: Callable[[], BrowseScreen] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.updated: datetime | None = None
        self._auto_refresh_s: float | None = None  # None: the settings' refresh_seconds
        self._last_load_s = 0.0
        self._reload_timer: Timer | None = None
        self._on_top_since = 0.0  # monotonic: when it last came back on top (resume)

    # -- what subclasses provide ---------------------------------------------------------

    def crumbs(self) -> tuple[str, ...]:
        return (self.session.profile.name,)

    def compose_body(self) -> ComposeResult:
        yield from ()

    async def load(self) -> None:
        """Fetch and show this screen's data; CloudErrors are reported by the caller."""

    def detail_of(self, table: FastTable, key: str) -> tuple[str, dict[str, Any]] | None:
        return None

    def rerender(self) -> None:
        """Rebuild rows from data already loaded (after `t`, or a filter of data)."""

    # -- plumbing ------------------------------------------------------------------------

    @property
    def atlas(self) -> AppServices:
        """What this screen may use of the App (ui/host.py), not the App class itself."""
        return services(self.app)

    @property
    def session(self) -> Session:
        session = self.atlas.session
        assert session is not None, "browse screens exist only with a session"
        return session

    def compose(self) -> ComposeResult:
        s = self.session
        if s.read_only:
            self._hide_write_actions()
        # The demo's port changes every run and means nothing to the user.
        host = "embedded demo cloud" if s.profile.source == DEMO_SOURCE else s.profile.host
        yield AtlasHeader(s.profile.name, host, s.read_only, s.capabilities.cloudstackversion,
                          warning=s.profile.transport_warning,
                          clock_known=lambda: s.client.server_clock_known)
        yield Breadcrumbs(id="crumbs")
        with Vertical(id="body"):
            yield from self.compose_body()
        yield DetailPane(id="detail")
        yield FilterBar(placeholder=FILTER_HINT, id="filter-bar")
        panel = JobsPanel(self.atlas.tracker)
        panel.hidden_by_user = self.atlas.jobs_panel_hidden
        yield panel
        yield Footer(compact=True)  # 80 columns: room for this screen's verbs and q

    def on_screen_resume(self) -> None:
        self._on_top_since = time.monotonic()
        # The jobs panel follows the J toggle made on any other screen.
        for panel in self.query(JobsPanel):
            panel.hidden_by_user = self.atlas.jobs_panel_hidden
            panel.refresh_jobs()

    def on_job_changed(self, message: JobChanged) -> None:
        """A tracked job changed. Screens showing what it touches reload (debounced)."""
        if self.is_current and self.updated is not None and self.affected_by(message.job):
            if self._reload_timer is not None:
                self._reload_timer.stop()
            self._reload_timer = self.set_timer(0.3, self.refresh_data)

    def affected_by(self, job: TrackedJob) -> bool:
        return False

    def on_mount(self) -> None:
        # Textual calls this after a subclass's own on_mount: subclasses never call super().
        self._reload_timer = None
        self.query_one(Breadcrumbs).path = self.crumbs()
        if self._auto_refresh_s is None:
            self._auto_refresh_s = float(self.atlas.settings.refresh_seconds)
        self.set_interval(1.0, self._tick)
        self.refresh_data()

    def on_unmount(self) -> None:
        # A screen alive while a load ran was frozen with it (cloud/long_lived.py): popped, it
        # is garbage the collector never looks at again, and so is everything it references.
        # What is big (an inventory) is dropped here, by reference count; its tables drop
        # their rows themselves (`FastTable.on_unmount`: they are gone from the DOM by now).
        self.release()

    def release(self) -> None:
        """Drop the data this screen holds, once it is gone (see `on_unmount`)."""

    def on_top_every(self, seconds: float, callback: Callable[[], object]) -> Timer:
        """A timer calling `callback` while this screen is on top only (see `_tick`)."""

        def tick() -> None:
            if self.on_top:
                callback()

        return self.set_interval(seconds, tick)

    @property
    def on_top(self) -> bool:
        """The top of the screen stack. Not `is_current`: Textual counts the screen right
        below the top as current too (it may show through), and a widget repainted there
        makes it repaint the whole screen on top: a list ticking under another list, or
        under a dialog, would rewrite the terminal every second."""
        return self.is_active

    def _tick(self) -> None:
        if not self.on_top:
            return  # under another screen: it catches up when it is on top again
        self.query_one(Breadcrumbs).tick()  # the age's own cells, when it reads differently
        if self.updated is None or self.loading_now:
            return
        # Big accounts reload slowly: never spend more than a fifth of the time loading.
        assert self._auto_refresh_s is not None  # on_mount set it
        period = max(self._auto_refresh_s, 5 * self._last_load_s)
        if ((datetime.now(UTC) - self.updated).total_seconds() >= period
                and time.monotonic() - self._on_top_since >= CATCH_UP_AFTER_S):
            self.refresh_data(loading_after_s=AUTO_LOADING_AFTER_S)

    @property
    def loading_now(self) -> bool:
        """A load of this screen is under way. The timer must not start another: the load
        worker is exclusive, so a new one cancels it, and a reload slower than the timer's
        tick would be cancelled on every tick and never finish."""
        return any(w.node is self and w.group == "load" and not w.is_finished
                   for w in self.app.workers)

    @work(exclusive=True, group="load", exit_on_error=False)
    async def refresh_data(self, loading_after_s: float = LOADING_AFTER_S) -> None:
        crumbs = self.query_one(Breadcrumbs)
        # "loading…" once the load has taken a moment: a quick refresh would flash it and
        # back, two rewrites of the line for nothing (an idle screen must stay quiet).
        slow = self.set_timer(loading_after_s, lambda: setattr(crumbs, "status", "loading…"))
        started = time.monotonic()
        try:
            await self.load()
        except CloudError as e:
            crumbs.status = "load failed: r to retry"
            self.atlas.report(e, what="Loading this list")
            return
        except NoMatches:
            # A load that ends while the screen is being removed (the app exits, the screen
            # is popped) finds its widgets gone: nothing left to draw. Anything else is a bug.
            if self._pruning or self._closing or self._closed:
                return
            crumbs.status = "load failed: r to retry"
            raise
        except Exception:
            crumbs.status = "load failed: r to retry"
            raise  # a bug: ReportsWorkerErrors reports it (message, errors.log); the app runs on
        finally:
            slow.stop()  # also when this load is cancelled by a newer one
        self._last_load_s = time.monotonic() - started
        self.updated = datetime.now(UTC)
        crumbs.loaded(self.updated)
        self._show_detail()

    def tables(self) -> list[FastTable]:
        return list(self.query(FastTable))

    def active_table(self) -> FastTable | None:
        focused = self.focused
        if isinstance(focused, FastTable):
            return focused
        tables = self.tables()
        return tables[0] if tables else None

    def _hide_write_actions(self) -> None:
        """Read-only: write actions leave the footer. Their keys stay bound, so pressing
        one says "read-only session" (the gate in `refuse_if_unavailable`)."""
        writes = write_names(self)
        bindings = self._bindings.key_to_bindings
        for key, listed in bindings.items():
            bindings[key] = [replace(b, show=False) if b.action in writes else b
                             for b in listed]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ENTER_OPENS:
            # Bound with priority (so the footer shows it over the table's own enter):
            # where the focus is not on a list it opens from, enter goes to the focus.
            focused = self.focused
            return isinstance(focused, FastTable) and self.enter_opens(focused)
        if action == "filter":
            # Bound with priority: in a text field (the bar itself), `/` is text.
            return not isinstance(self.focused, Input)
        if action == "back":
            # Home has nothing behind it; esc there only clears a filter.
            table = self.active_table()
            return self.can_go_back or bool(table and table.filter_query)
        return True

    def enter_opens(self, table: FastTable) -> bool:
        """Whether enter on this table runs the screen's open action."""
        return True

    @property
    def read_only(self) -> bool:
        session = self.atlas.session
        return session is None or session.read_only

    def unavailable(self, action: str) -> str | None:
        """Why an action cannot run now, or None: the screen's own rules (from cloud/:
        "the VM has VM snapshots", "no snapshot selected"). Screens override it; help, the
        palette and the gate ask through `why_not` (ui/actions.py), which says "read-only
        session" for a write action first."""
        return None

    def why_not(self, action: str) -> str | None:
        return why_not(self, find(self, action), action)

    def refuse_if_unavailable(self, action: str) -> bool:
        """The gate every action handler passes first: pressing the key says the reason
        instead of doing nothing silently."""
        reason = self.why_not(action)
        if reason:
            self.notify(reason, title="Not possible now", severity="warning", markup=False)
            return True
        return False

    # -- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        table = self.active_table()
        if table is not None and table.filter_query:
            self.query_one(FilterBar).value = ""
            table.filter("")
            self.refresh_bindings()
            return
        if not self.can_go_back:
            return
        # esc goes up the breadcrumb (k9s): a drilled-down screen's parent is right under
        # it; a jumped-to one's is not, so it takes this screen's place.
        if self.up is None:
            self.dismiss()
            return
        self.app.switch_screen(self.up())

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        table = self.active_table()
        bar.value = table.filter_query if table else ""
        bar.add_class("shown")
        # Focused now, not at the next idle (`focus()` is deferred): keys read with the `/`
        # (typed fast, pasted, or one packet over a slow SSH link) are queued already and
        # went to the list, the text lost and its letters taken as the list's keys.
        self.set_focus(bar)
        if table is not None:
            table.filter_opened()  # its search texts built while the first key is typed

    def close_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.remove_class("shown")
        table = self.active_table_for_filter()
        if table is not None:
            table.filter(bar.value)
            table.filter_closed()
            table.focus()

    def active_table_for_filter(self) -> FastTable | None:
        return getattr(self, "_filter_target", None) or self.active_table()

    def apply_filter(self, bar: FilterBar, query: str) -> None:
        """The bar's text changed (FilterBar.watch_value): filter the table it applies to."""
        table = self.active_table_for_filter()
        if table is None:
            return
        had_filter = bool(table.filter_query)
        error = table.filter(query)
        self._show_filter_count(bar, table, error)
        # esc's meaning on the table changes. Rebuilding the footer costs a recompose and a
        # layout pass (~30-50 ms): not while the bar has the focus (its own esc is what the
        # footer shows then); focus going back to the table refreshes the footer anyway.
        if had_filter != bool(table.filter_query) and not bar.has_focus:
            self.refresh_bindings()

    def _show_filter_count(self, bar: FilterBar, table: FastTable, error: str | None) -> None:
        pending = "…" if table.model.filter_pending else ""  # the count comes with the texts
        bar.border_subtitle = Text(error or f"{pending}{table.visible_count}/{table.row_count}")

    @on(FastTable.FilterApplied)
    def _filter_applied(self, event: FastTable.FilterApplied) -> None:
        if event.table is self.active_table_for_filter():
            self._show_filter_count(self.query_one(FilterBar), event.table, None)

    @on(Input.Submitted, "#filter-bar")
    def _filter_submitted(self) -> None:
        self.close_filter()

    def on_descendant_focus(self, event: Any) -> None:
        # The filter applies to the table that had focus when `/` was pressed.
        if isinstance(event.widget, FastTable):
            self._filter_target = event.widget
            self._show_detail()

    def action_sort(self) -> None:
        table = self.active_table()
        if table is None:
            return
        keys = table.visible_columns()
        if not keys:
            return
        current = table.sort_column
        nxt = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        table.sort_by(nxt, reverse=False)
        self.notify(f"sorted by {nxt}", timeout=1.5, markup=False)

    def action_sort_reverse(self) -> None:
        table = self.active_table()
        if table is not None and table.sort_column:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_copy_id(self) -> None:
        table = self.active_table()
        key = table.cursor_key if table else None
        if not key:
            self.notify("nothing selected", severity="warning")
            return
        # OSC 52: reaches the operator's clipboard through SSH (tmux needs set-clipboard on).
        copied = copy_plain(self.app, key)
        self.notify(f"copied {copied}", timeout=2, markup=False)

    def action_toggle_detail(self) -> None:
        pane = self.query_one(DetailPane)
        pane.toggle_class("shown")
        self._show_detail()

    def action_toggle_times(self) -> None:
        self.atlas.exact_times = not self.atlas.exact_times
        self.rerender()

    def action_help(self) -> None:
        from atlas_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    async def action_quit(self) -> None:
        await self.atlas.action_quit()  # asks first while a restore or a job is in flight

    def action_jump(self) -> None:
        self.atlas.action_jump()

    @on(FastTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        pane = self.query_one(DetailPane)
        if not pane.has_class("shown"):
            return
        table = self.active_table()
        key = table.cursor_key if table else None
        found = self.detail_of(table, key) if table is not None and key else None
        pane.show_fields(*(found or ("", None)))
