"""The real entry point in a real pseudo-terminal at 80x24, as over SSH: `atlas-tui --demo`
with TERM=xterm (16 colours) and NO_COLOR, read back through a terminal emulator (pyte).

Pilot tests drive the App object; this drives the program a user starts, through the bytes
it writes, so it also covers the driver, colour handling and quitting.
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
import pytest

ROWS, COLS = 24, 80


class Terminal:
    def __init__(self, fd: int, pid: int) -> None:
        self.fd = fd
        self.pid = pid
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, seconds: float = 0.05) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.text()}")
            self.pump(0.1)

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)
        self.pump(0.2)

    def row_of(self, word: str) -> int:
        for y, line in enumerate(self.screen.display):
            if word in line:
                return y
        raise AssertionError(f"{word!r} not on screen:\n{self.text()}")


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[Terminal]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, as a user would start it
        os.execvpe(sys.executable, [sys.executable, "-m", "atlas_tui", *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    term = Terminal(fd, pid)
    try:
        yield term
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(fd)


def exit_code(term: Terminal, timeout: float = 15) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        term.pump(0.1)
        done, status = os.waitpid(term.pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
    return None


@pytest.mark.slow
def test_demo_in_a_16_colour_no_color_terminal(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "TERM": "xterm", "NO_COLOR": "1", "LANG": "C.UTF-8",
        "ATLAS_TUI_STATE_DIR": str(tmp_path / "state"),
        "ATLAS_TUI_CONFIG_DIR": str(tmp_path / "config"),
    }
    with running(["--demo", "--demo-speed", "0"], env) as term:
        term.wait_for(lambda: "hello-atlas" in term.text() and "updated" in term.text(),
                      "the instance list")
        text = term.text()
        assert "demo @ embedded demo cloud" in text and "PROTECTION" in text
        assert "Traceback" not in text
        # Without colour the cursor row must still stand out: reverse video.
        y = term.row_of("hello-atlas")
        assert any(term.screen.buffer[y][x].reverse for x in range(COLS))
        assert not any(term.screen.buffer[y + 1][x].reverse for x in range(COLS))
        # NO_COLOR leaves shades of grey only: no character carries a hue.
        greys = {"default", "white", "brightwhite", "black", "brightblack"}
        colours = {ch.fg for row in term.screen.buffer.values() for ch in row.values()}
        assert colours <= greys, colours - greys

        term.send(b"/")
        term.wait_for(lambda: "filter: text" in term.text(), "the filter bar")
        term.send(b"web")
        term.wait_for(lambda: "basic-web" in term.text() and "db-01" not in term.text(),
                      "the filter")
        term.send(b"\r")  # keep the filter
        term.wait_for(lambda: "filter: text" not in term.text(), "the filter bar to close")
        term.send(b"\r")  # open web-01
        term.wait_for(lambda: "web-01 › volumes" in term.text(), "the volumes of web-01")
        term.send(b"\x11")  # ctrl+q
        assert exit_code(term) == 0
