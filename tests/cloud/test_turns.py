"""cloud/turns.py: heavy pieces of work never share a pass of the event loop."""

from __future__ import annotations

import asyncio

from atlas_tui.cloud import turns


async def test_two_ready_turns_run_in_different_loop_passes() -> None:
    """Both tasks are ready in the same pass; the second's body runs only after a callback
    queued during the first's body (which runs in the next pass at the earliest)."""
    loop = asyncio.get_running_loop()
    events: list[str] = []

    async def first() -> None:
        async with turns.turn():
            events.append("first")
            loop.call_soon(events.append, "next pass")

    async def second() -> None:
        async with turns.turn():
            events.append("second")

    await asyncio.gather(first(), second())
    assert events == ["first", "next pass", "second"]


async def test_a_turn_that_raises_lets_the_next_one_run() -> None:
    async def failing() -> None:
        async with turns.turn():
            raise ValueError("boom")

    async def after() -> str:
        async with turns.turn():
            return "ran"

    results = await asyncio.gather(failing(), after(), return_exceptions=True)
    assert isinstance(results[0], ValueError)
    assert results[1] == "ran"


async def test_a_turn_does_not_run_in_the_pass_of_the_code_before_it() -> None:
    """A slice's body must not add to whatever its task ran just before (a table's rows set,
    the next list started): the body starts in a later pass."""
    loop = asyncio.get_running_loop()
    events: list[str] = []
    events.append("before")
    loop.call_soon(events.append, "next pass")
    async with turns.turn():
        events.append("body")
    assert events == ["before", "next pass", "body"]
