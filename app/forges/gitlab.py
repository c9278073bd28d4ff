"""GitLab's REST API (v4): merge request approvals, commit statuses, notes, group members."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from app.ecosystem.owners import Owner, OwnerKind
from app.forges.api import ForgeApi
from app.forges.forge import CONTEXT, Comment, Forge, PullRequest

API_URL = "https://gitlab.com/api/v4"
STATES = {"success": "success", "failure": "failed", "pending": "pending"}


class GitLab(Forge):
    """A project on gitlab.com or a self-managed GitLab."""

    name = "gitlab"
    description_limit = 255

    def __init__(self, api: ForgeApi, repository: str) -> None:
        super().__init__(api, repository)
        self.project = f"/projects/{quote(repository, safe='')}"

    async def pull_request(self, number: int) -> PullRequest | None:
        """The merge request: opened or not, its head commit and author."""
        found = await self.api.json("GET", f"{self.project}/merge_requests/{number}")
        if not found:
            return None
        author = (found.get("author") or {}).get("username", "")
        return PullRequest(found.get("state") == "opened", found["sha"], author)

    async def approvers(self, pull_request: int, head: str) -> list[str]:
        """The users who approved the merge request (GitLab resets approvals on push when told to)."""
        found = await self.api.json(
            "GET", f"{self.project}/merge_requests/{pull_request}/approvals"
        )
        users = [
            (entry.get("user") or {}).get("username")
            for entry in (found or {}).get("approved_by", [])
        ]
        return [user for user in users if user]

    async def set_status(self, sha: str, state: str, target_url: str, description: str) -> None:
        """POST a commit status named `ecoplane/model`."""
        body = {"state": STATES[state], "name": CONTEXT, "target_url": target_url}
        await self.api.call(
            "POST", f"{self.project}/statuses/{sha}", json=body | {"description": description}
        )

    async def comments(self, pull_request: int) -> AsyncIterator[Comment]:
        """The merge request's notes."""
        async for item in self.api.pages(f"{self.project}/merge_requests/{pull_request}/notes"):
            author = (item.get("author") or {}).get("username", "")
            yield Comment(int(item["id"]), author, item.get("body") or "")

    async def create_comment(self, pull_request: int, body: str) -> None:
        """POST a note."""
        await self.api.call(
            "POST", f"{self.project}/merge_requests/{pull_request}/notes", json={"body": body}
        )

    async def edit_comment(self, pull_request: int, comment_id: int, body: str) -> None:
        """PUT a note's new text."""
        path = f"{self.project}/merge_requests/{pull_request}/notes/{comment_id}"
        await self.api.call("PUT", path, json={"body": body})

    async def _whoami(self) -> str:
        found = await self.api.json("GET", "/user")
        return str((found or {}).get("username", ""))

    async def _is_member(self, owner: Owner, user: str) -> bool:
        if owner.kind is not OwnerKind.GROUP:
            return False
        users = await self.api.json("GET", "/users", params={"username": user})
        if not users:
            return False
        group = quote(owner.name, safe="")
        found = await self.api.json("GET", f"/groups/{group}/members/all/{users[0]['id']}")
        return bool(found) and int(found.get("access_level", 0)) >= 30  # developer or above
