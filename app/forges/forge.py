"""What ecoplane asks of a forge, and what every forge client shares (the one comment, kept)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.ecosystem.owners import Owner
from app.forges.api import ForgeApi

MARKER = "<!-- ecoplane:model-check -->"
CONTEXT = "ecoplane/model"  # the name of the commit status


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment of a pull request: its id, its author and its text."""

    id: int
    author: str
    body: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A pull request as the forge has it now: open or not, its head, its author."""

    open: bool
    head_sha: str
    author: str


class Forge(ABC):
    """One forge's REST API for one repository: reviews read, statuses and the comment posted."""

    name: str
    description_limit = 140  # the longest status description the forge takes (GitHub's)

    def __init__(self, api: ForgeApi, repository: str) -> None:
        self.api, self.repository = api, repository
        self._me: str | None = None
        self._members: dict[tuple[tuple[str, str, str], str], bool] = {}

    @abstractmethod
    async def pull_request(self, number: int) -> PullRequest | None:
        """The pull request now (None when the forge does not know it)."""

    @abstractmethod
    async def approvers(self, pull_request: int, head: str) -> list[str]:
        """The users whose approval of the pull request stands for this head commit."""

    @abstractmethod
    async def set_status(self, sha: str, state: str, target_url: str, description: str) -> None:
        """Set the `ecoplane/model` status (success, failure or pending) of a commit; the
        description fits `description_limit`."""

    @abstractmethod
    def comments(self, pull_request: int) -> AsyncIterator[Comment]:
        """Every comment of the pull request, page after page."""

    @abstractmethod
    async def create_comment(self, pull_request: int, body: str) -> None:
        """Add a comment to the pull request."""

    @abstractmethod
    async def edit_comment(self, pull_request: int, comment_id: int, body: str) -> None:
        """Replace the text of a comment."""

    @abstractmethod
    async def _whoami(self) -> str:
        """The user the token acts as."""

    @abstractmethod
    async def _is_member(self, owner: Owner, user: str) -> bool:
        """Whether a user belongs to a team or group."""

    async def is_member(self, owner: Owner, user: str) -> bool:
        """Whether a user belongs to a team or group owner (asked once per check run)."""
        key = (owner.key, user.casefold())
        if key not in self._members:
            self._members[key] = await self._is_member(owner, user)
        return self._members[key]

    async def me(self) -> str:
        """The user the token acts as (asked once)."""
        if self._me is None:
            self._me = await self._whoami()
        return self._me

    async def upsert_comment(self, pull_request: int, body: str) -> None:
        """Edit ecoplane's own comment (found by its marker), or add it when there is none."""
        me = (await self.me()).casefold()
        async for comment in self.comments(pull_request):
            if comment.author.casefold() == me and MARKER in comment.body:
                if comment.body != body:
                    await self.edit_comment(pull_request, comment.id, body)
                return
        await self.create_comment(pull_request, body)

    async def close(self) -> None:
        """Release the connections."""
        await self.api.close()
