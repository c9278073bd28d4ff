"""Batched: keys asked while a call is in flight are answered together by the next call."""

from __future__ import annotations

import asyncio

import pytest

from app.jobs.batched import Batched


class Answers:
    """An answer function that records its calls and holds each until released."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self, keys: list[int]) -> dict[int, str]:
        self.calls.append(keys)
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the server is down")
        return {key: f"answer {key}" for key in keys if key != 13}


async def test_a_lone_key_is_asked_at_once() -> None:
    answers = Answers()
    answers.release.set()
    batched = Batched(answers)
    assert await batched.get(1) == "answer 1"
    assert answers.calls == [[1]]


async def test_keys_asked_meanwhile_share_the_next_call() -> None:
    answers = Answers()
    batched = Batched(answers, limit=3)
    first = asyncio.create_task(batched.get(1))
    await asyncio.sleep(0)  # the first call is in flight
    later = [asyncio.create_task(batched.get(k)) for k in (2, 3, 2, 13, 5)]
    await asyncio.sleep(0)
    answers.release.set()
    assert await first == "answer 1"
    assert await asyncio.gather(*later) == ["answer 2", "answer 3", "answer 2", None, "answer 5"]
    assert answers.calls == [[1], [2, 3, 13], [5]]  # a key asked twice is asked once; limit 3


async def test_an_error_reaches_every_waiter_of_its_call() -> None:
    answers = Answers()
    answers.fail = True
    answers.release.set()
    batched = Batched(answers)
    waiting = [asyncio.create_task(batched.get(k)) for k in (1, 2)]
    for task in waiting:
        with pytest.raises(RuntimeError, match="the server is down"):
            await task
    answers.fail = False
    assert await batched.get(3) == "answer 3"  # the next call is made as usual


async def test_close_cancels_whoever_waits() -> None:
    answers = Answers()
    batched = Batched(answers)
    waiting = asyncio.create_task(batched.get(1))
    await asyncio.sleep(0)
    await batched.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
