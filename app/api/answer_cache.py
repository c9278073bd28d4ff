"""The kept answers of model reads: bounded in bytes, least recently used first out.

app/api/version_answers.py fills it and answers from it; an activation empties it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Key = tuple[int, str, bytes]  # (active version, path, query)


@dataclass(frozen=True, slots=True)
class Answer:
    """One kept answer: its body, content type and tag, the route that gave it, and the id of
    the model version it was read from (None: several, as a diff)."""

    body: bytes
    media_type: bytes
    etag: bytes
    route: Any
    version: int | None = None

    @property
    def size(self) -> int:
        """Bytes it holds (the body dominates)."""
        return len(self.body) + 200


class AnswerCache:
    """Answers by (active version, path, query), least recently used first out, bounded in bytes."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.held = 0
        self.answers: OrderedDict[Key, Answer] = OrderedDict()

    def get(self, key: Key) -> Answer | None:
        """The kept answer, now the most recently used."""
        found = self.answers.get(key)
        if found is not None:
            self.answers.move_to_end(key)
        return found

    def put(self, key: Key, answer: Answer) -> None:
        """Keep an answer, letting the least recently used go to make room."""
        if answer.size > self.limit // 16:  # none at all when the limit is 0
            return
        old = self.answers.pop(key, None)
        self.held += answer.size - (old.size if old else 0)
        self.answers[key] = answer
        while self.held > self.limit:
            self.held -= self.answers.popitem(last=False)[1].size

    async def forget(self, _version_id: int | None = None) -> None:
        """Let every answer go (an activation subscriber: they answered from the older version)."""
        self.answers.clear()
        self.held = 0


def tag(body: bytes) -> bytes:
    """A strong entity tag of a body."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
