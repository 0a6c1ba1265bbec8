"""The recurring-snapshot form, and the confirmations around policy changes.

The user never types CloudStack's schedule format (minutes first, rolls over silently):
the form asks for an interval, a time of day (or a minute), a weekday by name, a day of
month, a timezone and how many to keep, and shows live the exact string it will send and
the next three runs. Nothing is sent while a field is invalid; a server refusal is shown in
the form, which stays open with everything typed.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from atlas_tui.cloud.api.errors import CloudError
from atlas_tui.cloud.api.models import SnapshotPolicy, Volume
from atlas_tui.cloud.protection import DEFAULT_MAXSNAPS_LIMIT, limit_from_error
from atlas_tui.cloud.schedule.codec import (
    WEEKDAYS,
    Interval,
    Schedule,
    ScheduleError,
    decode,
    encode,
)
from atlas_tui.cloud.schedule.lint import lint
from atlas_tui.cloud.schedule.words import describe
from atlas_tui.cloud.schedule.zones import timezone_completions, validate_timezone
from atlas_tui.ui.policy_text import policy_words, run_lines
from atlas_tui.ui.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from atlas_tui.cloud.actions import Actions
    from atlas_tui.cloud.api.client import CloudClient

# What the server told us about `snapshot.max.<interval>` (a normal user cannot read it),
# remembered per client, i.e. per connected session.
_LIMITS: weakref.WeakKeyDictionary[CloudClient, dict[Interval, int]] = (
    weakref.WeakKeyDictionary()
)


def keep_limit(client: CloudClient, interval: Interval) -> int:
    return _LIMITS.get(client, {}).get(interval, DEFAULT_MAXSNAPS_LIMIT)


def remember_limit(client: CloudClient, interval: Interval, limit: int) -> None:
    _LIMITS.setdefault(client, {})[interval] = limit


DEFAULT_KEEP: Mapping[Interval | None, int] = {  # None: no interval chosen yet, no default
    Interval.HOURLY: 6, Interval.DAILY: 7, Interval.WEEKLY: 4, Interval.MONTHLY: 3}


# --- reading the fields ------------------------------------------------------------------

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_time(text: str) -> tuple[int, int]:
    """HH:MM, 24 h; raises ValueError with what to type."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError("time must be HH:MM, 24 h (00:00–23:59)")
    return int(match.group(1)), int(match.group(2))


def parse_minute(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 0 <= int(value) <= 59:
        raise ValueError("minute past the hour: 0–59")
    return int(value)


def parse_weekday(text: str) -> int:
    """A weekday name or a prefix that names one day ("mo", "thu"); 1 = Sunday, as sent."""
    value = text.strip().lower()
    if value.isdigit():
        raise ValueError("type the day's name (Monday…), not a number")
    hits = [i for i, name in enumerate(WEEKDAYS) if value and name.lower().startswith(value)]
    if len(hits) != 1:
        raise ValueError("a day: Monday, Tuesday, … Sunday")
    return hits[0] + 1


def parse_day_of_month(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 28:
        raise ValueError("day of month: 1–28 (CloudStack refuses 29–31)")
    return int(value)


def parse_keep(text: str, limit: int) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise ValueError(f"keep: 1–{limit} (the server's limit)")
    return int(value)


# --- widgets -----------------------------------------------------------------------------


class IntervalPicker(Widget, can_focus=True):
    """One line of radio choices; ←/→ or the first letter picks. Locked when editing."""

    DEFAULT_CSS = """
    IntervalPicker { height: 1; width: 1fr; }
    IntervalPicker:focus { background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right", "step(1)", "Next", show=False),
        Binding("h", "pick('HOURLY')", "Hourly", show=False),
        Binding("d", "pick('DAILY')", "Daily", show=False),
        Binding("w", "pick('WEEKLY')", "Weekly", show=False),
        Binding("m", "pick('MONTHLY')", "Monthly", show=False),
    ]

    value: reactive[Interval] = reactive(Interval.DAILY)

    class Changed(Message):
        def __init__(self, value: Interval) -> None:
            super().__init__()
            self.value = value

    def __init__(self, value: Interval, *, locked: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(IntervalPicker.value, value)
        self.locked = locked

    def render(self) -> Text:
        text = Text()
        for interval in Interval:
            chosen = interval is self.value
            if self.locked and not chosen:
                continue
            label = interval.api_name.lower()
            text.append("◉ " if chosen else "○ ", style="bold" if chosen else "dim")
            text.append(f"{label}  ", style="bold underline" if chosen else "")
        if self.locked:
            text.append("(editing keeps the interval)", style="dim")
        return text

    def _set(self, interval: Interval) -> None:
        if self.locked or interval is self.value:
            return
        self.value = interval
        self.post_message(self.Changed(interval))

    def action_step(self, delta: int) -> None:
        order = list(Interval)
        self._set(order[(order.index(self.value) + delta) % len(order)])

    def action_pick(self, name: str) -> None:
        self._set(Interval[name])


class TimezoneSuggester(Suggester):
    """Completes a typed prefix to a zone name ("europe/o" → "Europe/Oslo")."""

    def __init__(self) -> None:
        super().__init__(use_cache=True, case_sensitive=False)

    async def get_suggestion(self, value: str) -> str | None:
        for name in timezone_completions(value, limit=40):
            if name.lower().startswith(value):
                return name
        return None


@dataclass(frozen=True)
class FormValues:
    """What the form would send, once every field is valid."""

    schedule: Schedule
    timezone: str
    maxsnaps: int

    @property
    def schedule_text(self) -> str:
        return encode(self.schedule)


class PolicyForm(ReportsWorkerErrors, ModalScreen[SnapshotPolicy | None]):
    """Add (`policy=None`) or edit a policy of `volume`; dismisses with the saved policy."""

    WORK_LABELS: ClassVar[dict[str, str]] = {"_send": "Saving the policy"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="policy-form-cancel"),
        Binding("ctrl+s", "save", "Save", id="policy-form-save"),
        Binding("enter", "save", "Save", show=False, id="policy-form-enter"),
    ]
    DEFAULT_CSS = """
    PolicyForm { align: center middle; }
    PolicyForm #dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    PolicyForm .row { height: 1; }
    PolicyForm .row > Label { width: 10; color: $text-muted; }
    PolicyForm .row > Input { width: 22; background: $boost; }
    PolicyForm .row > Input:focus { background: $primary 30%; }
    PolicyForm .msg { width: 1fr; padding: 0 1; color: $text-muted; }
    PolicyForm .msg.error { color: $error; text-style: bold; }
    PolicyForm .hidden { display: none; }
    PolicyForm #interval-msg { display: none; }
    PolicyForm #preview { margin-top: 1; height: auto; }
    PolicyForm #notice { height: auto; }
    PolicyForm #server-error { height: auto; color: $error; }
    PolicyForm #hints { color: $text-muted; margin-top: 1; }
    """

    def __init__(
        self,
        actions: Actions,
        volume: Volume,
        existing: list[SnapshotPolicy],
        policy: SnapshotPolicy | None = None,
        *,
        now: datetime,
    ) -> None:
        super().__init__()
        self.actions = actions  # the one way to the cloud's writes (cloud/actions.py)
        self.client = actions.client
        self.volume = volume
        self.existing = existing
        self.policy = policy
        self.now = now
        self.values: FormValues | None = None
        self.errors: dict[str, str] = {}
        self._previous_interval: Interval | None = None

    # -- defaults ------------------------------------------------------------------------

    def _initial(self) -> tuple[Interval, Schedule | None, str, int | None]:
        if self.policy is not None:
            interval = Interval.parse(self.policy.interval)
            try:
                schedule: Schedule | None = decode(interval, self.policy.schedule)
            except ScheduleError:
                # Stored out of range: start from what the server actually runs, if anything.
                effective = next((f.effective for f in lint(interval, self.policy.schedule)
                                  if f.effective), None)
                schedule = decode(interval, effective) if effective else None
            return interval, schedule, self.policy.timezone, self.policy.maxsnaps
        have = {p.interval for p in self.existing}
        interval = next((i for i in (Interval.DAILY, Interval.WEEKLY, Interval.MONTHLY,
                                     Interval.HOURLY) if i.api_name not in have), Interval.DAILY)
        tz = next((p.timezone for p in self.existing if p.timezone), "UTC")
        return interval, None, tz, None

    def compose(self) -> ComposeResult:
        interval, schedule, tz, keep = self._initial()
        hour, minute = (schedule.hour, schedule.minute) if schedule else (3, 0)
        weekday = schedule.weekday if schedule and schedule.weekday else 1
        day = schedule.day_of_month if schedule and schedule.day_of_month else 1
        keep = keep if keep is not None else DEFAULT_KEEP[interval]

        def row(name: str, label: str, field: Widget) -> HorizontalGroup:
            return HorizontalGroup(Label(label), field, Static("", id=f"{name}-msg",
                                                                classes="msg"),
                                   id=f"row-{name}", classes="row")

        dialog = VerticalGroup(id="dialog")
        verb = "Edit" if self.policy else "Add"
        dialog.border_title = Text(f"{verb} recurring snapshots · {self.volume.name}")
        with dialog:
            yield row("interval", "interval",
                      IntervalPicker(interval, locked=self.policy is not None, id="interval"))
            yield row("minute", "minute", Input(str(minute), id="minute", compact=True))
            yield row("time", "time", Input(f"{hour:02d}:{minute:02d}", id="time",
                                           compact=True))
            yield row("weekday", "weekday", Input(WEEKDAYS[weekday - 1], id="weekday",
                                                 compact=True))
            yield row("day", "day", Input(str(day), id="day", compact=True))
            yield row("tz", "timezone", Input(tz, id="tz", compact=True,
                                             suggester=TimezoneSuggester()))
            yield row("keep", "keep", Input(str(keep), id="keep", compact=True))
            yield Static(id="preview")
            yield Static(id="notice", classes="hidden")
            yield Static(id="server-error", classes="hidden")
            yield Static("enter save · esc cancel · tab next field · → completes a timezone",
                         id="hints")

    def on_mount(self) -> None:
        self._previous_interval = self.interval
        self._layout_for(self.interval)
        self.refresh_preview()
        first = "#time" if self.policy is not None else "#interval"
        if self.policy is not None and self.interval is Interval.HOURLY:
            first = "#minute"
        self.query_one(first).focus()

    # -- state ---------------------------------------------------------------------------

    @property
    def interval(self) -> Interval:
        return self.query_one(IntervalPicker).value

    def _layout_for(self, interval: Interval) -> None:
        shown = {
            "minute": interval is Interval.HOURLY,
            "time": interval is not Interval.HOURLY,
            "weekday": interval is Interval.WEEKLY,
            "day": interval is Interval.MONTHLY,
        }
        for name, visible in shown.items():
            self.query_one(f"#row-{name}").set_class(not visible, "hidden")

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def read(self) -> tuple[FormValues | None, dict[str, str]]:
        """The values to send, or the message for each bad field."""
        interval = self.interval
        errors: dict[str, str] = {}
        hour = minute = 0
        weekday = day = None
        try:
            if interval is Interval.HOURLY:
                minute = parse_minute(self._value("minute"))
            else:
                hour, minute = parse_time(self._value("time"))
        except ValueError as e:
            errors["minute" if interval is Interval.HOURLY else "time"] = str(e)
        if interval is Interval.WEEKLY:
            try:
                weekday = parse_weekday(self._value("weekday"))
            except ValueError as e:
                errors["weekday"] = str(e)
        if interval is Interval.MONTHLY:
            try:
                day = parse_day_of_month(self._value("day"))
            except ValueError as e:
                errors["day"] = str(e)
        tz = self._value("tz").strip()
        try:
            validate_timezone(tz)
        except ScheduleError as e:
            matches = timezone_completions(tz, limit=3) if tz else []
            hint = f"; try {', '.join(matches)}" if matches else ""
            errors["tz"] = f"{e}{hint}" if "did you mean" in str(e) else f"unknown zone{hint}"
        limit = keep_limit(self.client, interval)
        try:
            keep = parse_keep(self._value("keep"), limit)
        except ValueError as e:
            errors["keep"] = str(e)
        if errors:
            return None, errors
        schedule = Schedule(interval, minute, hour if interval is not Interval.HOURLY else 0,
                            weekday=weekday, day_of_month=day)
        return FormValues(schedule, tz, keep), {}

    def _hint(self, name: str) -> str:
        interval = self.interval
        limit = keep_limit(self.client, interval)
        return {
            "interval": "",
            "minute": "minute past the hour, 0–59",
            "time": "HH:MM, 24 h",
            "weekday": "Monday … Sunday",
            "day": "1–28",
            "tz": "IANA name, e.g. Europe/Oslo",
            "keep": f"snapshots kept, 1–{limit}",
        }[name]

    def refresh_preview(self) -> None:
        self.values, self.errors = self.read()
        for name in ("interval", "minute", "time", "weekday", "day", "tz", "keep"):
            msg = self.query_one(f"#{name}-msg", Static)
            error = self.errors.get(name)
            msg.update(Text(error or self._hint(name)))
            msg.set_class(bool(error), "error")
        preview = Text()
        if self.values is None:
            preview.append("fix the fields marked in red: nothing is sent until they are valid",
                           style="dim")
        else:
            v = self.values
            preview.append("sends ", style="dim")
            preview.append(f"intervaltype={v.schedule.interval.api_name} ")
            preview.append(f'schedule="{v.schedule_text}"', style="bold")
            preview.append(f" timezone={v.timezone} maxsnaps={v.maxsnaps}\n")
            preview.append("means ", style="dim")
            preview.append(describe(v.schedule, v.timezone, v.maxsnaps) + "\n")
            for i, line in enumerate(run_lines(v.schedule, v.timezone, self.now)):
                preview.append("next  " if i == 0 else "      ", style="dim")
                preview.append(line + "\n")
        preview.rstrip()
        self.query_one("#preview", Static).update(preview)
        notice = self._notice()
        self._show("#notice", notice)

    def _notice(self) -> Text:
        interval = self.interval
        same = next((p for p in self.existing if p.interval == interval.api_name), None)
        if self.policy is not None:
            return Text(f"Saving re-creates the {interval.api_name.lower()} policy in place "
                        "(CloudStack's upsert per interval: same id, new schedule).",
                        style="dim")
        if same is not None:
            text = Text("REPLACES", style="bold yellow")
            text.append(f" the existing {interval.api_name.lower()} policy: {policy_words(same)}"
                        " (one policy per interval)", style="yellow")
            return text
        return Text()

    def _show(self, selector: str, text: Text) -> None:
        box = self.query_one(selector, Static)
        box.update(text)
        box.set_class(not text.plain, "hidden")

    # -- events --------------------------------------------------------------------------

    @on(IntervalPicker.Changed)
    def _interval_changed(self, event: IntervalPicker.Changed) -> None:
        self._layout_for(event.value)
        keep = self.query_one("#keep", Input)
        if self.policy is None and keep.value.strip() == str(DEFAULT_KEEP.get(
                self._previous_interval, -1)):
            keep.value = str(DEFAULT_KEEP[event.value])  # follow the default, not a choice
        self._previous_interval = event.value
        self.refresh_preview()

    @on(Input.Changed)
    def _field_changed(self) -> None:
        self._show("#server-error", Text())
        self.refresh_preview()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.refresh_preview()
        if self.values is None:
            order = ("minute", "time", "weekday", "day", "tz", "keep")
            bad = next(name for name in order if name in self.errors)
            self.query_one(f"#{bad}").focus()
            return
        self._send(self.values)

    @work(exclusive=True, group="save", exit_on_error=False)
    async def _send(self, values: FormValues) -> None:
        self._show("#server-error", Text("saving…", style="dim"))
        interval = values.schedule.interval
        try:
            policy = await self.actions.save_policy(
                self.volume.id, interval=interval.api_name, schedule=values.schedule_text,
                timezone=values.timezone, maxsnaps=values.maxsnaps,
            )
        except CloudError as e:
            limit = limit_from_error(e.text)
            if limit is not None:
                remember_limit(self.client, interval, limit)
                self.refresh_preview()
                keep_msg = self.query_one("#keep-msg", Static)
                keep_msg.update(Text(f"the server allows at most {limit} "
                                     f"{interval.api_name.lower()} snapshots"))
                keep_msg.add_class("error")
            self._show("#server-error", Text(f"Not saved. {e.user_message()}"))
            return
        self.dismiss(policy)

    def work_failed(self, name: str, error: BaseException) -> None:
        if name == "_send":  # a bug while saving: the message says what; the form says so
            self._show("#server-error", Text("Not saved: an unexpected error (see the message)."))


class FixConfirm(ModalScreen[bool]):
    """Before and after of a one-key schedule fix, with the runs of each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Fix", id="fix-confirm"),
        Binding("enter", "confirm", "Fix", show=False, id="fix-confirm-enter"),
        Binding("escape,n", "cancel", "Cancel", id="fix-cancel"),
    ]
    DEFAULT_CSS = """
    FixConfirm { align: center middle; }
    FixConfirm > VerticalGroup {
        width: 80; max-width: 100%; height: auto; border: round $warning;
        background: $surface; padding: 0 1;
    }
    FixConfirm #fix-keys { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, policy: SnapshotPolicy, fix: str, message: str, now: datetime) -> None:
        super().__init__()
        self.policy = policy
        self.fix = fix
        self.message = message
        self.now = now

    def _side(self, label: str, schedule_text: str) -> Text:
        text = Text()
        interval = Interval.parse(self.policy.interval)
        text.append(f"{label:<7}", style="dim")
        text.append(f'schedule="{schedule_text}"', style="bold")
        try:
            schedule = decode(interval, schedule_text)
        except ScheduleError:
            text.append("  (out of range: the server rolls it over)\n")
            return text
        text.append(f"  {describe(schedule, self.policy.timezone, self.policy.maxsnaps)}\n")
        for line in run_lines(schedule, self.policy.timezone, self.now):
            text.append(f"       {line}\n", style="dim")
        return text

    def compose(self) -> ComposeResult:
        box = VerticalGroup()
        box.border_title = Text(f"Fix the {self.policy.interval.lower()} policy of "
                                f"{self.policy.volumename or 'this volume'}")
        body = Text()
        body.append(f"⚠ {self.message}\n\n", style="yellow")
        body.append_text(self._side("now", self.policy.schedule))
        body.append("\n")
        body.append_text(self._side("after", self.fix))
        body.append("\nThe policy is re-created in place (CloudStack's upsert per interval: "
                    "same id, same timezone and keep).")
        with box:
            yield Static(body)
            yield Static("y/enter fix · esc/n cancel", id="fix-keys")
        yield box

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
