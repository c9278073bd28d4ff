"""A real HTTP receiver of webhooks on 127.0.0.1 that records what it gets and answers as told."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic seconds)


Answer = int | tuple[int, dict[str, str]]  # a status, or a status and headers


@dataclass
class Receiver:
    """Answers each request with the next of `answers` (a status, or a status and its headers;
    then `otherwise`); `hang` requests wait until released (a receiver that never answers)."""

    answers: list[Answer] = field(default_factory=list)
    otherwise: int = 200
    hang: int = 0  # how many of the first requests hang
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    url: str = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(request.path, dict(request.headers), await request.read()))
        if len(self.received) <= self.hang:
            await self.release.wait()
        answer = self.answers.pop(0) if self.answers else self.otherwise
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        text = "ok" if status < 300 else "receiver says no"
        return web.Response(status=status, text=text, headers=headers)

    async def start(self) -> str:
        """Listen on a free loopback port; the base url."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop listening (hanging requests are released)."""
        self.release.set()
        if self.runner is not None:
            await self.runner.cleanup()
