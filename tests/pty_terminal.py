"""The program a user starts, in a real pseudo-terminal, read back through a terminal emulator
(pyte): the harness of tests/test_terminal.py and of bench/pty_bench.py.

`running(args, env)` forks `python -m atlas_tui ARGS` on a pty of ROWS x COLS and yields a
`Terminal`: `read_once`/`pump`/`until`/`wait_for` read what the program wrote and feed it to
the emulated screen; `write` sends bytes as keys (`send` also reads for 0.2 s after).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pyte

ROWS, COLS = 24, 80


class Terminal:
    def __init__(self, fd: int, pid: int, keep_raw: bool = False) -> None:
        self.fd = fd
        self.pid = pid
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.written = 0  # bytes the program wrote
        self.raw = bytearray()  # and the bytes themselves, with keep_raw
        self.keep_raw = keep_raw
        self.read_at = 0.0  # monotonic time of the last read that returned bytes

    def read_once(self, timeout: float) -> bool:
        """Read what the program wrote (waiting up to `timeout` for the first bytes), then
        parse it. `read_at` is stamped when the bytes are in, before pyte parses them: a
        terminal's own parsing (~1 ms for a frame in xterm, 5-15 ms in pyte) is not the
        app's latency. A frame larger than the pty's buffer (4 KB) comes in several reads:
        all that is there is read before any of it is parsed, so parsing one part does not
        delay the stamp of the next."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        chunks: list[bytes] = []
        while ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
            self.read_at = time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], 0.001)
        data = b"".join(chunks)
        self.written += len(data)
        if self.keep_raw:
            self.raw += data
        self.stream.feed(data)
        return bool(data)

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.read_once(left)

    def until(self, condition: Callable[[], bool], timeout: float) -> float | None:
        """Read until `condition()` holds; the monotonic time of the read that made it hold
        (when its bytes were in, see `read_once`), or None after `timeout`."""
        end = time.monotonic() + timeout
        if condition():
            return time.monotonic()
        while (left := end - time.monotonic()) > 0:
            if self.read_once(left) and condition():
                return self.read_at
        return None

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> float:
        when = self.until(condition, timeout)
        if when is None:
            raise AssertionError(f"timed out waiting for {what}; screen:\n{self.text()}")
        return when

    def lines(self) -> list[str]:
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def row_of(self, word: str) -> int:
        for y, line in enumerate(self.screen.display):
            if word in line:
                return y
        raise AssertionError(f"{word!r} not on screen:\n{self.text()}")

    def write(self, data: bytes) -> float:
        """Write keys' bytes; the monotonic time just before the write."""
        start = time.monotonic()
        os.write(self.fd, data)
        return start

    def send(self, data: bytes) -> None:
        """Write keys' bytes, then read what comes for 0.2 s."""
        self.write(data)
        self.pump(0.2)

    def click(self, x: int, y: int) -> None:
        """A left click at a 0-based cell, as xterm reports it with SGR mouse mode."""
        self.send(f"\x1b[<0;{x + 1};{y + 1}M\x1b[<0;{x + 1};{y + 1}m".encode())

    def alive(self) -> bool:
        done, _status = os.waitpid(self.pid, os.WNOHANG)
        return done == 0

    def exit_code(self, timeout: float = 15) -> int | None:
        """The program's exit code once it has ended, or None if it runs on past `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
        return None

    def peak_rss_mb(self) -> float:
        """The program's peak resident set so far (VmHWM), in MB."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path | str | None = None,
            keep_raw: bool = False) -> Iterator[Terminal]:
    """`python -m atlas_tui ARGS` as a user starts it, on its own pty; killed at the end."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program
        try:
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(sys.executable, [sys.executable, "-m", "atlas_tui", *args], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    term = Terminal(fd, pid, keep_raw)
    try:
        yield term
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)
        os.close(fd)
