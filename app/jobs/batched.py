"""Requests that wait for one call in flight are answered together by the next call.

Runs end in bursts (a schedule fires, a chain completes): each wants the same kind of answer
(its pods, its row updated). `Batched` sends the first request at once; the ones that come
while that call is in flight go together in the next call, so a burst costs a few calls
instead of one each, and a lone request waits for nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Answer = TypeVar("Answer")


class Batched(Generic[Key, Answer]):
    """Answers keys by calling `answer(keys)` for at most `limit` keys at a time, one call at a time.

    `answer` returns what it found per key; a key it leaves out is answered None. When it
    raises, every key of that call gets the error.
    """

    def __init__(
        self, answer: Callable[[list[Key]], Awaitable[dict[Key, Answer]]], limit: int = 100
    ) -> None:
        self.answer = answer
        self.limit = limit
        self.waiting: dict[Key, list[asyncio.Future[Answer | None]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.calls = 0  # how many calls answered the keys so far

    async def get(self, key: Key) -> Answer | None:
        """The answer for one key, from the next call."""
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, []).append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(), name="batched")
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            keys = list(self.waiting)[: self.limit]
            batch = {key: self.waiting.pop(key) for key in keys}
            self.calls += 1
            try:
                found = await self.answer(keys)
            except asyncio.CancelledError:  # closed: nobody answers this call's waiters
                _cancel(batch)
                raise
            except Exception as error:  # every waiter of this call sees why
                _settle(batch, {}, error)
            else:
                _settle(batch, found, None)

    async def close(self) -> None:
        """Stop answering; whoever still waits is cancelled."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        _cancel(self.waiting)  # asked after the last call began (or before the first began)
        self.waiting.clear()


def _cancel(batch: dict[Key, list[asyncio.Future[Answer | None]]]) -> None:
    for waiting in batch.values():
        for future in waiting:
            future.cancel()


def _settle(
    batch: dict[Key, list[asyncio.Future[Answer | None]]],
    found: dict[Key, Answer],
    error: Exception | None,
) -> None:
    for key, waiting in batch.items():
        for future in waiting:
            if future.done():  # a waiter cancelled meanwhile has gone
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(found.get(key))
