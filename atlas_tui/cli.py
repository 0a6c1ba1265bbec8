"""Command line: argument parsing, profile choice, `--demo` (starts sim/ and points cloud/ at it).

    atlas-tui                      the configured profile (~/.cmk/config, ~/.cloudstack.ini, env)
    atlas-tui --profile NAME       a named profile
    atlas-tui --read-only          no action that changes the cloud can run
    atlas-tui --demo               the embedded simulator: no account needed
    atlas-tui sim --port P ...     the simulator as a standalone server (see `atlas-tui sim -h`)
"""

from __future__ import annotations

import argparse
import sys

from atlas_tui import __version__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="atlas-tui",
        description="Snapshot backup and recovery for Apache CloudStack (Atlas), in the terminal.",
        epilog="`atlas-tui sim -h` describes the standalone simulator.",
    )
    p.add_argument("--profile", metavar="NAME",
                   help="profile from ~/.cmk/config or ~/.cloudstack.ini")
    p.add_argument("--read-only", action="store_true",
                   help="refuse every action that changes the cloud")
    p.add_argument("--demo", action="store_true", help="run against the embedded demo cloud")
    p.add_argument("--demo-seed", default="demo", metavar="SEED",
                   help="with --demo: demo (default), empty, scale:N, or hostile (every "
                        "name carries markup and terminal escapes: a safety check)")
    p.add_argument("--demo-speed", type=float, default=30.0, metavar="X",
                   help="with --demo: simulated seconds per real second (default 30)")
    p.add_argument("--mouse", action="store_true",
                   help="enable the mouse (off by default, as over SSH)")
    p.add_argument("--version", action="version", version=f"atlas-tui {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "sim":
        from atlas_tui.sim.cli import main as sim_main

        return sim_main(args[1:])
    options = _parser().parse_args(args)

    from atlas_tui.app import AtlasApp, Launch

    launch = Launch(
        profile=options.profile,
        read_only=options.read_only,
        demo=options.demo,
        demo_seed=options.demo_seed,
        demo_speed=options.demo_speed,
    )
    app = AtlasApp(launch)
    app.run(mouse=options.mouse or app.settings.mouse)
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
