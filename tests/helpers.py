"""Small typed helpers for tests: they narrow what the type checker cannot know, and fail
the test (an assertion) where the narrowing would be wrong."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from aiohttp import web

T = TypeVar("T")


def present(value: T | None) -> T:
    """`value`, which the test expects to exist (a lookup that returns None when absent)."""
    assert value is not None
    return value


def bound_port(site: web.TCPSite) -> int:
    """The port a started aiohttp site listens on (it was asked for port 0)."""
    server = site._server
    assert isinstance(server, asyncio.Server) and server.sockets
    port: int = server.sockets[0].getsockname()[1]
    return port
