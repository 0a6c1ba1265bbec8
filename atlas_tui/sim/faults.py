"""Faults on demand, for tests, benchmarks and demos of what goes wrong.

Spec grammar (rules separated by ``;``; whitespace around rules is ignored)::

    rule      := KIND [ ":" TARGET ] [ "=" VALUE ] { MODIFIER } [ "!" TEXT ]
    MODIFIER  := "#" N          only the Nth matching call (1-based, counted per rule)
               | "#" N "+"      the Nth matching call and every later one
               | "*" N          fire at most N times
               | "@" OPTION     kind-specific option (see below)
    TEXT      := the rest of the rule: the error text to use (may not contain ";")

Kinds (TARGET is an API command name, e.g. ``createSnapshot``; omitted = every command):

    latency[:CMD]=DURATION        delay every matching request (``200ms``, ``1.5s``, bare = ms)
    error[:CMD][=RATE][@CODE]     answer synchronously with an error instead of running the
                                  command; CODE defaults to 530 with "Internal error executing
                                  command, please contact your system administrator"
    failjob[:CMD][=RATE][@POINT]  the async job of a matching call fails (jobstatus 2, 530);
                                  POINT = start | end (default) | Creating | BackingUp | BackedUp
                                  (the last three are createSnapshot's states)
    stuck:snapshot=STATE          new snapshots stop in STATE (Allocated or Creating) for ever;
                                  their job stays pending
    throttle=N/WINDOW             at most N calls per WINDOW (``25/1s``), then HTTP 429
                                  "...please retry after [ms] ms." (cserrorcode 9999)
    drop[:CMD][=RATE][@before|@after]
                                  close the connection without an answer; ``@after`` runs the
                                  command first (the answer is lost), ``@before`` (default) not

Answer faults: what a broken proxy or a buggy server version sends back (tests of the client's
one validation boundary)::

    malform[:CMD][=RATE]@HOW      the command runs, and its JSON answer (200 only) is wrong in
                                  one way. HOW:
                                    count-text   ``count`` is the string "many"
                                    count-huge   ``count`` is 10**9
                                    no-list      ``count`` > 0 and no list (its key is gone)
                                    not-list     the list is an object, not an array
                                    null-item    the first item is ``null``
                                    no-id        the first item has no ``id``
                                    name-number  the first item's ``name`` is a number
                                    name-object  the first item's ``name`` is an object
                                    truncate     the JSON text cut in half, sent whole (its own
                                                 Content-Length): the body does not decode
                                  the item kinds fire on list answers with items only
    html[:CMD][=RATE][@STATUS]    a proxy's HTML error page with HTTP STATUS (default 502)
                                  instead of the answer; the command does not run

Counting: RATE is a probability (0..1) drawn from the simulator's seeded RNG. A rule of kind
error, failjob, stuck or drop with no RATE, no ``#`` and no ``*`` fires once: on the next
matching call. latency and throttle apply to every matching call.

Examples::

    latency=200ms;error:createSnapshot=0.3@530;failjob:attachVolume#1;stuck:snapshot=Creating
    throttle=25/1s;drop:queryAsyncJobResult#2
    failjob:createSnapshot@BackingUp!Failed to create snapshot: secondary storage is full
    error:startVirtualMachine#2+*3@533!Unable to create a deployment for VM
    drop:attachVolume@after            (the next attachVolume runs, its answer is lost)
    malform:listVolumes#1+@null-item   (every listVolumes answer has a null item)
    html:listSnapshots@503

Delivery faults: how the answer's bytes travel. The command runs first, as on a real server
behind a stalled or broken proxy, so a write's effect is there even when its answer is not::

    drip[:CMD][=DURATION]         the answer trickles: its full Content-Length, then one byte
                                  every DURATION (default 1s). The client's deadline has to
                                  end it; the sim stops when the client goes away
    cut[:CMD][=RATE][@length|@chunked]
                                  half of the answer, then the connection closes:
                                  ``@length`` (default) after a Content-Length of the whole,
                                  ``@chunked`` in chunked encoding without its last chunk

drip and cut fire once by default (``#``, ``*`` and, for cut, RATE as for error)::

    drip:listAsyncJobs=500ms      (the next listAsyncJobs answer takes minutes to arrive)
    cut:listVolumes#1+*3@chunked

Invalid specs raise ``ValueError`` naming the rule and the problem.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .errors import (
    CS_CLOUD_RUNTIME,
    CS_INVALID_PARAMETER,
    CS_SERVER_API,
    INTERNAL_TEXT,
    ApiError,
    throttled,
)

KINDS: tuple[str, ...] = ("latency", "error", "failjob", "stuck", "throttle", "drop")
FAIL_POINTS = {"start", "end", "creating", "backingup", "backedup"}
# Answer faults (see the module docstring): their own block.
ANSWER_KINDS = ("malform", "html")
MALFORM_HOWS = ("count-text", "count-huge", "no-list", "not-list", "null-item", "no-id",
                "name-number", "name-object", "truncate")
_ITEM_HOWS = frozenset({"not-list", "null-item", "no-id", "name-number", "name-object"})
HUGE_COUNT = 10**9
KINDS = KINDS + ANSWER_KINDS
_RULE = re.compile(
    r"(?P<kind>[A-Za-z]+)(?::(?P<target>[A-Za-z]+))?(?:=(?P<value>[^#*@]+))?(?P<mods>.*)"
)
_MOD = re.compile(r"([#*@])([^#*@]*)")

# Delivery faults (see the module docstring): their own block, kept apart from the kinds
# that change what the answer says.
DELIVERY_KINDS = ("drip", "cut")
CUT_MODES = ("length", "chunked")
DEFAULT_DRIP = "1s"
KINDS = KINDS + DELIVERY_KINDS


def parse_duration_ms(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 200ms or 1.5s)")
    value = float(m.group(1))
    unit = m.group(2) or "ms"
    return value * {"ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


@dataclass
class FaultRule:
    kind: str
    target: str | None = None
    value: str | None = None
    nth: int | None = None
    from_nth: bool = False
    times: int | None = None
    rate: float | None = None
    option: str | None = None
    text: str | None = None
    seen: int = 0
    fired: int = 0
    # parsed forms
    latency_ms: float = 0.0
    code: int = 530
    limit: int = 0
    window_s: float = 1.0
    window_start: float = 0.0
    window_count: int = 0

    def matches(self, command: str | None) -> bool:
        return self.target is None or command is None or self.target == command

    def trigger(self, rng: random.Random) -> bool:
        """Count one matching call and say whether the fault fires on it."""
        self.seen += 1
        ok = True
        if self.nth is not None:
            ok = self.seen >= self.nth if self.from_nth else self.seen == self.nth
        if ok and self.rate is not None:
            ok = rng.random() < self.rate
        if ok and self.times is not None and self.fired >= self.times:
            ok = False
        if ok:
            self.fired += 1
        return ok

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "target": self.target,
            "value": self.value,
            "nth": self.nth,
            "from_nth": self.from_nth,
            "times": self.times,
            "rate": self.rate,
            "option": self.option,
            "text": self.text,
            "seen": self.seen,
            "fired": self.fired,
        }


def parse_rule(source: str) -> FaultRule:
    text: str | None = None
    body = source.strip()
    if "!" in body:
        body, text = body.split("!", 1)
        body = body.strip()
    m = _RULE.fullmatch(body)
    if not m:
        raise ValueError(f"fault rule {source!r}: expected KIND[:COMMAND][=VALUE][#N][*N][@OPT]")
    kind = m.group("kind").lower()
    if kind not in KINDS:
        raise ValueError(f"fault rule {source!r}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    rule = FaultRule(kind=kind, target=m.group("target"), value=m.group("value"), text=text)
    mods = m.group("mods").strip()
    consumed = "".join(a + b for a, b in _MOD.findall(mods))
    if consumed != mods:
        raise ValueError(f"fault rule {source!r}: cannot read modifiers {mods!r}")
    for sign, arg in _MOD.findall(mods):
        arg = arg.strip()
        if sign == "#":
            plus = arg.endswith("+")
            number = arg[:-1] if plus else arg
            if not number.isdigit() or int(number) < 1:
                raise ValueError(f"fault rule {source!r}: '#' needs a call number >= 1")
            rule.nth, rule.from_nth = int(number), plus
        elif sign == "*":
            if not arg.isdigit():
                raise ValueError(f"fault rule {source!r}: '*' needs a count")
            rule.times = int(arg)
        else:
            if not arg:
                raise ValueError(f"fault rule {source!r}: '@' needs an option")
            rule.option = arg
    _check(rule, source)
    return rule


def _rate(rule: FaultRule, source: str) -> None:
    if rule.value is None:
        return
    try:
        rate = float(rule.value)
    except ValueError:
        raise ValueError(f"fault rule {source!r}: rate {rule.value!r} is not a number") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault rule {source!r}: rate must be between 0 and 1")
    rule.rate = rate


def _check(rule: FaultRule, source: str) -> None:
    kind = rule.kind
    if kind in DELIVERY_KINDS:
        _check_delivery(rule, source)
        return
    if kind == "latency":
        if rule.value is None:
            raise ValueError(f"fault rule {source!r}: latency needs =DURATION")
        try:
            rule.latency_ms = parse_duration_ms(rule.value)
        except ValueError as err:
            raise ValueError(f"fault rule {source!r}: {err}") from None
        return
    if kind == "throttle":
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(.+)", rule.value or "")
        if not m:
            raise ValueError(f"fault rule {source!r}: throttle needs =N/WINDOW, e.g. 25/1s")
        rule.limit = int(m.group(1))
        window = m.group(2) if m.group(2)[-1].isalpha() else m.group(2) + "s"
        rule.window_s = parse_duration_ms(window) / 1000
        return
    if kind == "stuck":
        if (rule.target or "snapshot").lower() != "snapshot":
            raise ValueError(f"fault rule {source!r}: stuck applies to 'snapshot' only")
        rule.target = "snapshot"
        if (rule.value or "").strip().capitalize() not in ("Allocated", "Creating"):
            raise ValueError(f"fault rule {source!r}: stuck needs =Allocated or =Creating")
        rule.value = rule.value.strip().capitalize() if rule.value else None
    elif kind == "error":
        _rate(rule, source)
        if rule.option is not None:
            if not rule.option.isdigit() or not 400 <= int(rule.option) <= 599:
                raise ValueError(f"fault rule {source!r}: @CODE must be an HTTP error code")
            rule.code = int(rule.option)
    elif kind == "failjob":
        _rate(rule, source)
        if rule.option is not None and rule.option.lower() not in FAIL_POINTS:
            raise ValueError(
                f"fault rule {source!r}: @POINT must be one of start, end, Creating, BackingUp, "
                "BackedUp"
            )
    elif kind == "drop":
        _rate(rule, source)
        if rule.option is not None and rule.option.lower() not in ("before", "after"):
            raise ValueError(f"fault rule {source!r}: drop option is @before or @after")
    elif kind in ANSWER_KINDS:
        _check_answer_fault(rule, source)
    if rule.rate is None and rule.nth is None and rule.times is None:
        rule.times = 1  # "the next one"


def _check_delivery(rule: FaultRule, source: str) -> None:
    if rule.kind == "drip":
        try:
            rule.latency_ms = parse_duration_ms(rule.value or DEFAULT_DRIP)
        except ValueError as err:
            raise ValueError(f"fault rule {source!r}: {err}") from None
        if rule.latency_ms <= 0:
            raise ValueError(f"fault rule {source!r}: drip needs a pause above 0")
        if rule.option is not None:
            raise ValueError(f"fault rule {source!r}: drip takes no @option")
    else:
        _rate(rule, source)
        option = (rule.option or CUT_MODES[0]).lower()
        if option not in CUT_MODES:
            raise ValueError(f"fault rule {source!r}: cut option is @length or @chunked")
        rule.option = option
    if rule.rate is None and rule.nth is None and rule.times is None:
        rule.times = 1  # "the next one"


@dataclass(frozen=True)
class Delivery:
    """How to send one answer: ``drip`` (``pause_s`` between bytes) or ``cut`` (``mode``)."""

    kind: str
    pause_s: float = 0.0
    mode: str = "length"


def _check_answer_fault(rule: FaultRule, source: str) -> None:
    _rate(rule, source)
    if rule.kind == "malform":
        how = (rule.option or "").lower()
        if how not in MALFORM_HOWS:
            raise ValueError(f"fault rule {source!r}: malform needs @HOW, one of "
                             f"{', '.join(MALFORM_HOWS)}")
        rule.option = how
        return
    if rule.option is None:
        rule.code = 502
    elif rule.option.isdigit() and 400 <= int(rule.option) <= 599:
        rule.code = int(rule.option)
    else:
        raise ValueError(f"fault rule {source!r}: html @STATUS must be an HTTP error code")


def html_error_page(status: int) -> str:
    """The page a proxy (nginx here) answers with when the API behind it fails."""
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n")


def _list_key(inner: dict[str, Any]) -> str | None:
    return next((k for k, v in inner.items() if isinstance(v, list)), None)


def malform_answer(body: dict[str, Any], how: str) -> dict[str, Any]:
    """A copy of a JSON answer (``{"xresponse": {...}}``) made wrong in the way ``how`` says.
    ``truncate`` is done on the text (``truncate_text``)."""
    [(root, inner)] = body.items()
    inner = dict(inner)
    key = _list_key(inner)
    items = list(inner[key]) if key is not None else []
    if how == "count-text":
        inner["count"] = "many"
    elif how == "count-huge":
        inner["count"] = HUGE_COUNT
    elif how == "no-list":
        inner["count"] = max(1, int(inner.get("count") or 0))
        if key is not None:
            del inner[key]
    elif how == "not-list" and key is not None:
        inner[key] = {str(i): item for i, item in enumerate(items)}
    elif how == "null-item" and items:
        inner[key] = [None, *items[1:]]
    elif items and isinstance(items[0], dict):
        first = dict(items[0])
        if how == "no-id":
            first.pop("id", None)
        elif how == "name-number":
            first["name"] = 12345
        elif how == "name-object":
            first["name"] = {"first": first.get("name")}
        inner[key] = [first, *items[1:]]
    return {root: inner}


def _has_items(body: dict[str, Any]) -> bool:
    inner = next(iter(body.values()), None)
    if not isinstance(inner, dict):
        return False
    key = _list_key(inner)
    return key is not None and bool(inner[key])


def truncate_text(text: str) -> str:
    """The first half of an answer's text: JSON that ends in the middle of a value."""
    return text[: max(1, len(text) // 2)]


class FaultSet:
    def __init__(self, rng_seed: int = 1) -> None:
        self.rules: list[FaultRule] = []
        self.rng = random.Random(f"faults-{rng_seed}")
        self._lock = threading.RLock()
        self._settings_limiter = FaultRule(kind="throttle")
        self._dripping = 0

    @staticmethod
    def parse_rules(spec: str) -> list[FaultRule]:
        return [parse_rule(part) for part in spec.split(";") if part.strip()]

    def parse(self, spec: str) -> list[FaultRule]:
        """Parse ``spec`` and install its rules (all or none); returns them."""
        rules = self.parse_rules(spec)
        with self._lock:
            self.rules.extend(rules)
        return rules

    def add(self, rule: FaultRule | str) -> None:
        if isinstance(rule, str):
            self.parse(rule)
            return
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _firing(self, kind: str, command: str | None) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.kind == kind and rule.matches(command) and rule.trigger(self.rng):
                    return rule
        return None

    # hooks used by the protocol and the job engine ------------------------------------
    def latency_ms(self, command: str | None) -> float:
        with self._lock:
            return sum(
                r.latency_ms for r in self.rules if r.kind == "latency" and r.matches(command)
            )

    def drop(self, command: str | None, phase: str) -> bool:
        with self._lock:
            for rule in self.rules:
                if rule.kind != "drop" or not rule.matches(command):
                    continue
                if (rule.option or "before").lower() != phase:
                    continue
                if rule.trigger(self.rng):
                    return True
        return False

    def error(self, command: str) -> ApiError | None:
        rule = self._firing("error", command)
        if rule is None:
            return None
        if rule.code == 429:
            return throttled(1000)
        cs = {530: CS_CLOUD_RUNTIME, 431: CS_INVALID_PARAMETER}.get(rule.code, CS_SERVER_API)
        return ApiError(rule.code, rule.text or INTERNAL_TEXT, cs)

    def job_failure(self, command: str) -> tuple[str, str | None] | None:
        rule = self._firing("failjob", command)
        if rule is None:
            return None
        return (rule.option or "end", rule.text)

    def stuck_state(self, kind: str) -> str | None:
        rule = self._firing("stuck", kind)
        return rule.value if rule is not None else None

    def throttle(self, settings: dict[str, str]) -> ApiError | None:
        """Fixed windows per account, as ApiRateLimitServiceImpl counts (rejected calls too)."""
        now = time.monotonic()
        with self._lock:
            limiters = [r for r in self.rules if r.kind == "throttle"]
            if settings.get("api.throttling.enabled", "false").lower() == "true":
                lim = self._settings_limiter
                try:
                    lim.limit = int(settings.get("api.throttling.max", "25"))
                    lim.window_s = float(settings.get("api.throttling.interval", "1"))
                except ValueError:
                    lim.limit, lim.window_s = 25, 1.0
                limiters.append(lim)
            for lim in limiters:
                if lim.window_start == 0.0 or now - lim.window_start >= lim.window_s:
                    lim.window_start, lim.window_count = now, 0
                lim.window_count += 1
                if lim.window_count > lim.limit:
                    lim.fired += 1
                    left = lim.window_start + lim.window_s - now
                    return throttled(max(1, int(left * 1000)))
        return None

    # answer faults ----------------------------------------------------------------------
    def html_error(self, command: str | None) -> tuple[int, str] | None:
        """(status, page) when an html rule fires on this call: a proxy answers instead."""
        rule = self._firing("html", command)
        return None if rule is None else (rule.code, html_error_page(rule.code))

    def malformed(self, command: str | None, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The answer as a malform rule makes it (and whether to cut its text in half).
        Item kinds fire only on a list answer that has items, so they never fire for nothing."""
        with self._lock:
            for rule in self.rules:
                if rule.kind != "malform" or not rule.matches(command):
                    continue
                how = rule.option or ""
                if how in _ITEM_HOWS and not _has_items(body):
                    continue
                if rule.trigger(self.rng):
                    if how == "truncate":
                        return body, True
                    return malform_answer(body, how), False
        return body, False

    def describe(self) -> list[dict[str, object]]:
        with self._lock:
            return [r.describe() for r in self.rules]

    # delivery faults ------------------------------------------------------------------
    def delivery(self, command: str | None) -> Delivery | None:
        """How the answer to this call travels, when a drip or cut rule fires on it."""
        rule = self._firing("drip", command)
        if rule is not None:
            return Delivery("drip", pause_s=rule.latency_ms / 1000)
        rule = self._firing("cut", command)
        if rule is not None:
            return Delivery("cut", mode=rule.option or CUT_MODES[0])
        return None

    @property
    def dripping(self) -> int:
        """Answers being dripped right now (the client has not gone away yet)."""
        with self._lock:
            return self._dripping

    def drip_started(self) -> None:
        with self._lock:
            self._dripping += 1

    def drip_ended(self) -> None:
        with self._lock:
            self._dripping -= 1
