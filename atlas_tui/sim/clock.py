"""The simulated clock: starts at real "now" (UTC, whole seconds) and runs ``speed`` times faster.

``advance()`` jumps forward; listeners (the server) then run every event that became due.
``speed=0`` freezes time so that only ``advance()`` moves it (handy for exact tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    def __init__(self, speed: float = 30.0, start: datetime | None = None) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = float(speed)
        begin = start or datetime.now(UTC)
        self._start = begin.astimezone(UTC).replace(microsecond=0)
        self._real0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._real0) * self.speed + self._offset
        return self._start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
        for listener in list(self._listeners):
            listener()

    def on_advance(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)
