"""The standalone simulator: ``sim --port P --api-key K --secret-key S [--host H]
[--seed demo|scale:N|empty|hostile] [--speed X] [--faults SPEC] [--set name=value ...]
[--role user|admin] [--server-version 4.22] [--date-header]``.

Prints the endpoint, the keys, a cmk profile and a ``~/.cloudstack.ini`` block, then serves until
SIGINT or SIGTERM. The keys printed are the simulator's own (given or generated), not a user's.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
from datetime import UTC, datetime

from .server import SimServer
from .view import ROLES, VERSIONS


def _utc_instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from err
    return when if when.tzinfo else when.replace(tzinfo=UTC)


ROLES_HELP = (
    "whom the server answers (default: user). user: a regular account, as Atlas customers "
    "are: volumes carry no hypervisor, storage, storagetype, path, physicalsize, virtualsize "
    "or quiescevm; VMs no arch or instancename; unexpected server errors (530) read only "
    "'Internal error executing command...'. admin: a root admin's full view, with the real "
    "error texts"
)
VERSION_HELP = (
    "the CloudStack version played (default: 4.22), reported by listCapabilities. Older "
    "ones differ: before 4.20 listSnapshotPolicies requires volumeid and a throttled call "
    "says 'retry after N ms.' (no brackets); before 4.19 updateVolume ignores name; before "
    "4.18 snapshots carry only size (no virtualsize, physicalsize)"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="atlas-tui sim", description="Run the CloudStack simulator.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--api-key", default=None, help="API key to accept (default: generated)")
    p.add_argument("--secret-key", default=None, help="secret key (default: generated)")
    p.add_argument("--seed", default="demo", help="demo | empty | scale:N | hostile")
    p.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second")
    p.add_argument("--faults", default=None, help="fault spec, see atlas_tui/sim/faults.py")
    p.add_argument("--rng-seed", type=int, default=1)
    p.add_argument("--start", type=_utc_instant, default=None, metavar="ISO",
                   help="simulated start instant, e.g. 2026-11-02T09:30:00Z (default: now); "
                        "with --speed 0 every run is the same")
    p.add_argument("--role", choices=ROLES, default="user", help=ROLES_HELP)
    p.add_argument("--server-version", choices=VERSIONS, default="4.22", metavar="VERSION",
                   help=VERSION_HELP + f"; one of {', '.join(VERSIONS)}")
    p.add_argument("--date-header", action="store_true",
                   help="send an HTTP Date header (from the simulated clock) as a proxy in front "
                        "of the server would; the management server itself sends none")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="global setting, e.g. kvm.snapshot.enabled=false (repeatable)",
    )
    return p


def banner(endpoint: str, api_key: str, secret_key: str) -> str:
    return "\n".join(
        [
            f"CloudStack simulator listening on {endpoint}",
            f"  api key:    {api_key}",
            f"  secret key: {secret_key}",
            "",
            "cmk profile (append to ~/.cmk/config):",
            "[atlas-sim]",
            f"url = {endpoint}",
            f"apikey = {api_key}",
            f"secretkey = {secret_key}",
            "",
            "or with cmk commands:",
            "  cmk set profile atlas-sim",
            f"  cmk set url {endpoint}",
            f"  cmk set apikey {api_key}",
            f"  cmk set secretkey {secret_key}",
            "",
            "cs profile (~/.cloudstack.ini):",
            "[atlas-sim]",
            f"endpoint = {endpoint}",
            f"key = {api_key}",
            f"secret = {secret_key}",
            "",
            "Press Ctrl+C to stop.",
        ]
    )


async def _serve(sim: SimServer, host: str, port: int) -> None:
    endpoint = await sim.start(host, port)
    print(banner(endpoint, sim.api_key, sim.secret_key), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # e.g. Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings: dict[str, str] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            print(f"--set expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        settings[name.strip()] = value.strip()
    api_key = args.api_key or secrets.token_urlsafe(64)[:86]
    secret_key = args.secret_key or secrets.token_urlsafe(64)[:86]
    try:
        sim = SimServer(
            seed=args.seed,
            api_key=api_key,
            secret_key=secret_key,
            speed=args.speed,
            faults=args.faults,
            settings=settings,
            rng_seed=args.rng_seed,
            start=args.start,
            role=args.role,
            server_version=args.server_version,
            date_header=args.date_header,
        )
    except ValueError as err:
        print(f"sim: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(sim, args.host, args.port))
    except OSError as err:
        print(f"sim: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0
