"""The real entry point in a real pseudo-terminal at 80x24, as over SSH: `atlas-tui --demo`
with TERM=xterm (16 colours) and NO_COLOR, read back through a terminal emulator (pyte).

Pilot tests drive the App object; this drives the program a user starts, through the bytes
it writes, so it also covers the driver, colour handling and quitting. Over the `hostile`
seed it checks those bytes: no escape sequence from a name reaches the terminal.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.pty_terminal import COLS, running


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
        assert term.exit_code() == 0


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "TERM": "xterm-256color", "LANG": "C.UTF-8",
        "ATLAS_TUI_STATE_DIR": str(tmp_path / "state"),
        "ATLAS_TUI_CONFIG_DIR": str(tmp_path / "config"),
    }


# What a hostile name would make the terminal do, as bytes on the wire. Textual writes none
# of these itself (its only OSC 52 is `y`'s copy, checked apart).
FORBIDDEN = {
    "OSC 0 window title": b"\x1b]0;",
    "CSI clear screen and scrollback": b"\x1b[2J\x1b[3J\x1b[H",
    "end of bracketed paste": b"\x1b[201~",
    "C1 CSI": "\x9b".encode(),
    "bidi override": "\u202e".encode(),
    "bidi isolate": "\u2066".encode(),
    "zero-width space": "\u200b".encode(),
    "zero-width joiner": "\u200d".encode(),
    "BOM": "\ufeff".encode(),
}


def clean_bytes(raw: bytes, step: str) -> None:
    from atlas_tui.sim.seeds import HOSTILE_CLIPBOARD_B64

    for what, sequence in FORBIDDEN.items():
        assert sequence not in raw, f"{what} from a name reached the terminal ({step})"
    # The payload itself may show, in visible form (`clip␛]52;c;…`): the sequence may not.
    osc52 = b"\x1b]52;c;" + HOSTILE_CLIPBOARD_B64.encode()
    assert osc52 not in raw, f"a name wrote the clipboard with OSC 52 ({step})"


@pytest.mark.slow
def test_hostile_names_never_reach_the_terminal(tmp_path: Path) -> None:
    """`atlas-tui --demo --demo-seed hostile --mouse`: move over every row, click the rows
    and the `[@click=...]` names, open details, dialogs, help and :jobs; the program keeps
    running, and its bytes carry none of the names' escape sequences."""
    from atlas_tui.sim.seeds import HOSTILE_CLICK_FILE, HOSTILE_TITLE

    with running(["--demo", "--demo-seed", "hostile", "--demo-speed", "0", "--mouse"],
                 _env(tmp_path), cwd=tmp_path, keep_raw=True) as term:
        term.wait_for(lambda: "x[/]y[" in term.text() and "updated" in term.text(),
                      "the instance list")

        def still_running(step: str) -> None:
            term.pump(0.3)
            clean_bytes(bytes(term.raw), step)
            assert term.alive(), f"the app ended after {step}:\n{term.text()}"
            assert "Traceback" not in term.text() and "Error" not in term.text(), term.text()

        def click_the_clicks(step: str) -> None:
            for y, line in enumerate(term.screen.display):
                for match in re.finditer("CLIC|@click", line):
                    term.click(match.start() + 1, y)
                    still_running(f"clicking {match.group()} ({step})")

        term.send(b"i")  # the detail pane: every raw field of the row under the cursor
        for _ in range(4):
            term.send(b"j")
            still_running("moving down")
        for y in range(3, 8):  # the rows themselves
            term.click(4, y)
            still_running(f"clicking row {y}")
        click_the_clicks("instances")
        term.send(b"gi\r")  # open the first VM: its volumes and VM snapshots
        term.wait_for(lambda: "volumes" in term.text() and "VM snapshots" in term.text(),
                      "the volumes screen")
        click_the_clicks("volumes")
        for keys, what in ((b"v", "VM snapshot of"), (b"s", "Snapshot"), (b"?", "Keys on")):
            term.send(keys)

            def shown(w: str = what) -> bool:
                return w in term.text()

            term.wait_for(shown, what)
            click_the_clicks(what)
            term.send(b"\x1b")
            still_running(what)
        term.send(b"\r")  # the root's snapshots
        # The breadcrumb may be cut before "snapshots" (the hostile names are long): the
        # snapshots table's own header says where we are.
        term.wait_for(lambda: any(line.lstrip().startswith("SNAPSHOT ") and "REVERT" in line
                                  for line in term.text().splitlines()),
                      "the snapshots screen")
        click_the_clicks("snapshots")
        term.send(b"ip")  # details, then the policies with the protection note
        term.wait_for(lambda: "RUNS" in term.text(), "the policies screen")
        still_running("policies")
        term.send(b":")
        term.wait_for(lambda: "jump:" in term.text(), "the jump prompt")
        term.send(b"jobs\r")
        term.wait_for(lambda: "JOB" in term.text(), "the jobs screen")
        still_running("jobs")
        assert term.screen.title != HOSTILE_TITLE
        term.send(b"\x11")  # ctrl+q
        assert term.exit_code() == 0

    clean_bytes(bytes(term.raw), "quitting")
    assert not list(tmp_path.rglob(f"*{HOSTILE_CLICK_FILE}*")), "a click wrote a file"
