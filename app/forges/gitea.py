"""Gitea's REST API (GitHub's shapes, mostly): reviews, statuses, comments, team members."""

from __future__ import annotations

from app.ecosystem.owners import Owner, OwnerKind
from app.forges.github import GitHub


class Gitea(GitHub):
    """A repository on a Gitea (or Forgejo) server; its API is under /api/v1."""

    name = "gitea"

    async def _is_member(self, owner: Owner, user: str) -> bool:
        if owner.kind is not OwnerKind.TEAM:
            return False
        org, _, team = owner.name.partition("/")
        found = await self.api.json("GET", f"/orgs/{org}/teams/search", params={"q": team})
        teams = (found or {}).get("data") or []
        ids = [t["id"] for t in teams if str(t.get("name", "")).casefold() == team.casefold()]
        if not ids:
            return False
        response = await self.api.call("GET", f"/teams/{ids[0]}/members/{user}")
        return response.status_code == 200
