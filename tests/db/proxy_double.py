"""A TEST DOUBLE of the network between a replica and its database: a TCP proxy on 127.0.0.1.

It forwards every connection to the real Postgres server of the tests (TCP, or the embedded
server's Unix socket) until `black_hole()`: from then on nothing is forwarded either way and no
socket is closed, not even when the server closes its side — what a replica sees when its node
vanishes or the network between silently stops carrying packets. New connections are accepted
and get nothing. `sever()` drops the connections open now the way a firewall or NAT that forgot
them does: the server sees them end, the client sees nothing until it sends, and then a reset;
new connections are forwarded. `hold_ends()` passes on what the server says last (after
`pg_terminate_backend`, its goodbye) but not that it closed: the client gets the message before it
sees the end, which a busy client does too. `close()` closes every socket, as a network that comes
back with resets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

from app.db.urls import asyncpg_dsn


class ProxyDouble:
    """The proxy test double; `url(database_url)` is the same database reached through it."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(asyncpg_dsn(database_url))
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        self.port = 0
        self.upstream_socket = f"{socket_dir}/.s.PGSQL.{parts.port or 5432}" if socket_dir else None
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.user = parts.username or "postgres"
        self.database = parts.path.lstrip("/")
        self.holed = asyncio.Event()
        self.holding_ends = False
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.links: list[Link] = []
        self.pumps: set[asyncio.Task[None]] = set()
        self.connections = 0  # connections accepted so far

    def url(self) -> str:
        """The test database's URL through the proxy."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def sever(self) -> None:
        """Drop every open connection on the server's side; the client's learns when it sends."""
        for link in self.links:
            link.severed = True
            link.upstream.close()

    def hold_ends(self) -> None:
        """From now on, a connection the server ends stays open on the client's side."""
        self.holding_ends = True

    def ended_by_server(self, links: list[Link]) -> bool:
        """Whether nothing more comes from the server on each of these connections: it ended
        them, or their client went away (taken from `links` earlier: the ones opened since, by a
        service that connects again, are not waited for)."""
        return all(link.server_ended for link in links)

    def black_hole(self) -> None:
        """Stop forwarding, both ways, closing nothing."""
        self.holed.set()

    async def close(self) -> None:
        """Close the listener and every socket (the replica sees its connections end)."""
        if self.server is not None:
            self.server.close()
        for writer in self.writers:
            writer.close()
        for pump in self.pumps:
            pump.cancel()
        await asyncio.gather(*self.pumps, return_exceptions=True)
        self.writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        if self.holed.is_set():
            return  # accepted, never answered
        if self.upstream_socket:
            up_reader, up_writer = await asyncio.open_unix_connection(self.upstream_socket)
        else:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self.writers.append(up_writer)
        link = Link(writer, up_writer)
        self.links.append(link)
        for source, target in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.create_task(self._pump(source, target, link, target is writer))
            self.pumps.add(pump)
            pump.add_done_callback(self.pumps.discard)

    async def _pump(
        self, source: asyncio.StreamReader, target: asyncio.StreamWriter, link: Link, down: bool
    ) -> None:
        try:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    if self.holed.is_set():
                        await asyncio.Event().wait()  # never forwarded, never closed
                    if link.severed:  # the client sent on a forgotten connection: a reset
                        link.client.transport.abort()
                        return
                    target.write(data)
                    await target.drain()
                if down and self.holding_ends:
                    return
                if not (self.holed.is_set() or link.severed):  # an end is passed on, unless lost
                    target.close()
        finally:  # the server ended it, or the client went away while the server still spoke
            link.server_ended = link.server_ended or down


class Link:
    """One connection through the proxy: the client's socket and the server's."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client, self.upstream = client, upstream
        self.severed = False
        self.server_ended = False


@contextlib.asynccontextmanager
async def proxied(database_url: str) -> AsyncIterator[ProxyDouble]:
    """A started proxy test double to the database, closed at the end."""
    proxy = ProxyDouble(database_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
