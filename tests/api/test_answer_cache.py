"""The answer cache: bounded in bytes, least recently used first out, emptied on activation."""

from __future__ import annotations

from app.api.answer_cache import Answer, AnswerCache


def _answer(size: int) -> Answer:
    return Answer(b"x" * (size - 200), b"application/json", b'"t"', None)


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    cache = AnswerCache(16 * 1000)
    for n in range(16):
        cache.put((1, f"/{n}", b""), _answer(1000))
    assert cache.held == 16_000 and len(cache.answers) == 16
    assert cache.get((1, "/0", b"")) is not None  # used: now the most recent
    cache.put((1, "/new", b""), _answer(1000))
    assert cache.get((1, "/1", b"")) is None and cache.get((1, "/0", b"")) is not None
    assert cache.held <= cache.limit
    cache.put((1, "/big", b""), _answer(1001))  # over a sixteenth of the memory: never kept
    assert cache.get((1, "/big", b"")) is None
    cache.put((1, "/0", b""), _answer(500))  # kept again: counted once
    assert cache.held == 15 * 1000 + 500


async def test_forget_lets_every_answer_go() -> None:
    cache = AnswerCache(1 << 20)
    cache.put((1, "/a", b""), _answer(300))
    await cache.forget(2)
    assert cache.get((1, "/a", b"")) is None and cache.held == 0
