"""GitHub's REST API: reviews, commit statuses, issue comments, team memberships."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from app.ecosystem.owners import Owner, OwnerKind
from app.forges.forge import CONTEXT, Comment, Forge, PullRequest

API_URL = "https://api.github.com"


def latest_approvers(reviews: list[dict[str, Any]], head: str) -> list[str]:
    """Users whose latest review approves the head commit (a later dismissal or change request wins)."""
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        login = (review.get("user") or {}).get("login")
        if login and review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login.casefold()] = {**review, "login": login}
    return [
        r["login"]
        for r in latest.values()
        if r["state"] == "APPROVED" and r.get("commit_id") == head and not r.get("stale")
    ]


class GitHub(Forge):
    """A repository on github.com or GitHub Enterprise Server."""

    name = "github"

    async def pull_request(self, number: int) -> PullRequest | None:
        """The pull request: open or closed, its head commit and author."""
        found = await self.api.json("GET", f"/repos/{self.repository}/pulls/{number}")
        if not found:
            return None
        author = (found.get("user") or {}).get("login", "")
        return PullRequest(found.get("state") == "open", found["head"]["sha"], author)

    async def approvers(self, pull_request: int, head: str) -> list[str]:
        """Users whose latest review approves this head commit."""
        path = f"/repos/{self.repository}/pulls/{pull_request}/reviews"
        return latest_approvers([r async for r in self.api.pages(path)], head)

    async def set_status(self, sha: str, state: str, target_url: str, description: str) -> None:
        """POST a commit status named `ecoplane/model`."""
        body = {"state": state, "target_url": target_url, "description": description}
        await self.api.call(
            "POST", f"/repos/{self.repository}/statuses/{sha}", json=body | {"context": CONTEXT}
        )

    async def comments(self, pull_request: int) -> AsyncIterator[Comment]:
        """The pull request's conversation comments (issue comments)."""
        async for item in self.api.pages(
            f"/repos/{self.repository}/issues/{pull_request}/comments"
        ):
            yield Comment(
                int(item["id"]), (item.get("user") or {}).get("login", ""), item.get("body") or ""
            )

    async def create_comment(self, pull_request: int, body: str) -> None:
        """POST an issue comment."""
        await self.api.call(
            "POST", f"/repos/{self.repository}/issues/{pull_request}/comments", json={"body": body}
        )

    async def edit_comment(self, pull_request: int, comment_id: int, body: str) -> None:
        """PATCH an issue comment."""
        await self.api.call(
            "PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}", json={"body": body}
        )

    async def _whoami(self) -> str:
        found = await self.api.json("GET", "/user")
        return str((found or {}).get("login", ""))

    async def _is_member(self, owner: Owner, user: str) -> bool:
        if owner.kind is not OwnerKind.TEAM:
            return False
        org, _, team = owner.name.partition("/")
        found = await self.api.json("GET", f"/orgs/{org}/teams/{team}/memberships/{user}")
        return bool(found) and found.get("state") == "active"
