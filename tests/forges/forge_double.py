"""A TEST DOUBLE of the GitHub, GitLab and Gitea REST APIs ecoplane calls, in-process.

An aiohttp server on 127.0.0.1 (random port) that the real httpx client reaches. It keeps pull
requests (open or not, head, author), their reviews (GitHub, Gitea) or approvals (GitLab), their
comments (notes), team and group members, and records every commit status posted, every comment
created or edited, and every review read. Lists are paged (per_page / limit) with a Link header,
as the three forges page them. Faults: `fail(status, times)` answers the next calls with a status.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

PREFIX = {"github": "", "gitlab": "/api/v4", "gitea": "/api/v1"}


@dataclass
class Pull:
    """A pull request as the double keeps it."""

    head: str
    author: str
    open: bool = True
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class ForgeDouble:
    """One forge's API for one repository; the test sets pulls, reviews and members."""

    def __init__(self, forge: str, repository: str = "acme/data-model", me: str = "ecoplane-bot"):
        self.forge, self.repository, self.me = forge, repository, me
        self.pulls: dict[int, Pull] = {}
        self.members: dict[str, set[str]] = {}  # "org/team" or "group" -> users
        self.statuses: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []  # comments created
        self.edited: list[dict[str, Any]] = []  # comments edited
        self.review_reads = 0
        self.faults: list[int] = []  # statuses of the next answers
        self.ids = itertools.count(1000)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Serve on a random port; the API's base URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{PREFIX[self.forge]}"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner is not None:
            await self.runner.cleanup()

    def fail(self, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls with `status`."""
        self.faults += [status] * times

    def open(self, number: int, head: str, author: str) -> Pull:
        """A pull request, open, with this head and author."""
        self.pulls[number] = Pull(head, author)
        return self.pulls[number]

    def review(self, number: int, user: str, state: str = "APPROVED") -> None:
        """A review of the pull request's head by a user (GitLab: an approval)."""
        pull = self.pulls[number]
        pull.reviews.append({"user": user, "state": state, "commit_id": pull.head})

    def comment(self, number: int, author: str, body: str) -> None:
        """A comment someone wrote on the pull request."""
        self.pulls[number].comments.append({"id": next(self.ids), "author": author, "body": body})

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if self.faults:
            return web.json_response({"message": "the double fails"}, status=self.faults.pop(0))
        path = request.raw_path.split("?", 1)[0].removeprefix(PREFIX[self.forge])
        handler = self._gitlab if self.forge == "gitlab" else self._github
        found = await handler(request, unquote(path))
        return (
            found if found is not None else web.json_response({"message": "Not Found"}, status=404)
        )

    async def _github(self, request: web.Request, path: str) -> web.StreamResponse | None:
        repo = f"/repos/{self.repository}"
        if path == "/user":
            return web.json_response({"login": self.me})
        if m := re.fullmatch(rf"{repo}/pulls/(\d+)", path):
            pull = self.pulls.get(int(m[1]))
            if pull is None:
                return None
            state = "open" if pull.open else "closed"
            return web.json_response(
                {
                    "number": int(m[1]),
                    "state": state,
                    "head": {"sha": pull.head},
                    "user": {"login": pull.author},
                }
            )
        if m := re.fullmatch(rf"{repo}/pulls/(\d+)/reviews", path):
            self.review_reads += 1
            reviews = [
                {"user": {"login": r["user"]}, "state": r["state"], "commit_id": r["commit_id"]}
                for r in self.pulls[int(m[1])].reviews
            ]
            return self._page(request, reviews)
        if m := re.fullmatch(rf"{repo}/statuses/([0-9a-f]+)", path):
            return self._status(m[1], await request.json())
        if m := re.fullmatch(rf"{repo}/issues/(\d+)/comments", path):
            return await self._comments(request, int(m[1]), "user", "login")
        if m := re.fullmatch(rf"{repo}/issues/comments/(\d+)", path):
            return await self._edit(request, int(m[1]))
        if m := re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", path):
            if m[3] in self.members.get(f"{m[1]}/{m[2]}", set()):
                return web.json_response({"state": "active", "role": "member"})
            return None
        if m := re.fullmatch(r"/orgs/([^/]+)/teams/search", path):
            team = request.query.get("q", "")
            data = [
                {"id": i, "name": name.split("/")[1]}
                for i, name in enumerate(self.members)
                if name == f"{m[1]}/{team}"
            ]
            return web.json_response({"ok": True, "data": data})
        if m := re.fullmatch(r"/teams/(\d+)/members/([^/]+)", path):
            team = list(self.members)[int(m[1])]
            return web.json_response({"login": m[2]}) if m[2] in self.members[team] else None
        return None

    async def _gitlab(self, request: web.Request, path: str) -> web.StreamResponse | None:
        project = f"/projects/{self.repository}"
        if path == "/user":
            return web.json_response({"username": self.me})
        if path == "/users":
            name = request.query.get("username", "")
            return web.json_response([{"id": abs(hash(name)) % 10**6, "username": name}])
        if m := re.fullmatch(rf"{project}/merge_requests/(\d+)", path):
            pull = self.pulls.get(int(m[1]))
            if pull is None:
                return None
            state = "opened" if pull.open else "closed"
            return web.json_response(
                {
                    "iid": int(m[1]),
                    "state": state,
                    "sha": pull.head,
                    "author": {"username": pull.author},
                }
            )
        if m := re.fullmatch(rf"{project}/merge_requests/(\d+)/approvals", path):
            self.review_reads += 1
            approved = [
                {"user": {"username": r["user"]}}
                for r in self.pulls[int(m[1])].reviews
                if r["state"] == "APPROVED"
            ]
            return web.json_response({"approved": bool(approved), "approved_by": approved})
        if m := re.fullmatch(rf"{project}/statuses/([0-9a-f]+)", path):
            return self._status(m[1], await request.json())
        if m := re.fullmatch(rf"{project}/merge_requests/(\d+)/notes", path):
            return await self._comments(request, int(m[1]), "author", "username")
        if m := re.fullmatch(rf"{project}/merge_requests/\d+/notes/(\d+)", path):
            return await self._edit(request, int(m[1]))
        if m := re.fullmatch(r"/groups/(.+)/members/all/(\d+)", path):
            users = {abs(hash(u)) % 10**6 for u in self.members.get(m[1], set())}
            return (
                web.json_response({"id": int(m[2]), "access_level": 30})
                if int(m[2]) in users
                else None
            )
        return None

    def _status(self, sha: str, body: dict[str, Any]) -> web.Response:
        self.statuses.append({"sha": sha, **body})
        return web.json_response({"id": len(self.statuses), **body}, status=201)

    async def _comments(
        self, request: web.Request, number: int, who: str, name: str
    ) -> web.Response:
        pull = self.pulls[number]
        if request.method == "POST":
            body = (await request.json())["body"]
            comment = {"id": next(self.ids), "author": self.me, "body": body}
            pull.comments.append(comment)
            self.created.append(comment)
            return web.json_response({"id": comment["id"], "body": body}, status=201)
        shaped = [
            {"id": c["id"], who: {name: c["author"]}, "body": c["body"]} for c in pull.comments
        ]
        return self._page(request, shaped)

    async def _edit(self, request: web.Request, comment_id: int) -> web.Response | None:
        for pull in self.pulls.values():
            for comment in pull.comments:
                if comment["id"] == comment_id:
                    if comment["author"] != self.me:
                        return web.json_response({"message": "Forbidden"}, status=403)
                    comment["body"] = (await request.json())["body"]
                    self.edited.append(dict(comment))
                    return web.json_response(comment)
        return None

    def _page(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        """One page of a list, and a Link to the next when there is one."""
        size = min(int(request.query.get("per_page") or request.query.get("limit") or 30), 100)
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            following = request.url.update_query({"page": str(page + 1)})
            headers["Link"] = f'<{following}>; rel="next"'
        return web.json_response(chunk, headers=headers)
