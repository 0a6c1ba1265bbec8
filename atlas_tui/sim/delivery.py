"""Sending an answer the way a stalled or broken proxy does, when a delivery fault fires
(see faults.py): a slow drip of bytes, or a body cut off halfway."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .faults import Delivery, FaultSet


async def deliver(request: web.Request, status: int, text: str, headers: dict[str, str],
                  how: Delivery, faults: FaultSet) -> web.StreamResponse:
    data = text.encode("utf-8")
    response = web.StreamResponse(status=status, headers=headers)
    if how.kind == "drip":
        response.content_length = len(data)
        return await _drip(request, response, data, how.pause_s, faults)
    if how.mode == "chunked":
        response.enable_chunked_encoding()
    else:
        response.content_length = len(data)  # a promise the body will not keep
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    _hang_up(request, flush=True)
    raise asyncio.CancelledError  # nothing more to send: aiohttp ends the handler quietly


async def _drip(request: web.Request, response: web.StreamResponse, data: bytes,
                pause_s: float, faults: FaultSet) -> web.StreamResponse:
    faults.drip_started()
    try:
        await response.prepare(request)
        for index in range(len(data)):
            await asyncio.sleep(pause_s)
            transport = request.transport
            if transport is None or transport.is_closing():
                raise asyncio.CancelledError  # the client gave up: stop dripping
            await response.write(data[index:index + 1])
        await response.write_eof()
        return response
    except ConnectionError:
        _hang_up(request, flush=False)
        raise asyncio.CancelledError from None
    finally:
        faults.drip_ended()


def _hang_up(request: web.Request, *, flush: bool) -> None:
    transport = request.transport
    if transport is not None:
        # close() sends what is buffered first (the half body); abort() drops it.
        transport.close() if flush else transport.abort()
