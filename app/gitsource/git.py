"""The model repository through the git command: a bare mirror, fetched; a commit's model subtree.

git runs in a subprocess with a timeout, never on the event loop. A token reaches git through
an askpass script that reads it from the child's environment: it never appears in an argument
(the process list), and every message that leaves here has it (and any URL password) removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import stat
import tarfile
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.ecosystem.limits import ModelTooLargeError
from app.errors import AppError, InvalidParameterError

__all__ = ["CommitUnusableError", "GitError", "ModelTooLargeError", "Repository", "check_ref"]

REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")
SHA = re.compile(r"[0-9a-f]{40}")
URL_PASSWORD = re.compile(r"(?<=://)[^/@\s]+@")
ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$ECOPLANE_GIT_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$ECOPLANE_GIT_ASKPASS_TOKEN" ;;
esac
"""


class GitError(AppError):
    """A git command failed or took too long; the message is free of secrets."""

    status = 502
    type = "git-error"


class CommitUnusableError(GitError):
    """The commit itself cannot be ingested (no model directory, an entry that cannot be
    extracted): the same every time, unlike a git command that failed."""

    status = 422
    type = "commit-unusable"


def check_ref(ref: str, parameter: str = "ref") -> str:
    """A branch, tag or commit name git can be given safely; 422 naming `parameter` otherwise."""
    ref = ref.strip()
    if not REF.fullmatch(ref) or ".." in ref or ref.endswith((".lock", "/", ".")):
        raise InvalidParameterError(
            parameter, f"{ref[:80]!r} is not a branch, tag or commit name (letters, digits, ._/-)"
        )
    return ref


@dataclass(slots=True)
class Repository:
    """The configured model repository and its local bare mirror."""

    url: str
    home: Path  # where mirrors and the askpass script live (under the data directory)
    timeout: float = 120.0
    token: str | None = None
    username: str = "x-access-token"
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def mirror(self) -> Path:
        """The bare mirror of this repository."""
        return self.home / f"{hashlib.sha256(self.url.encode()).hexdigest()[:16]}.git"

    def redact(self, text: str) -> str:
        """The text without the token or a password written into a URL."""
        if self.token:
            text = text.replace(self.token, "***")
        return URL_PASSWORD.sub("***@", text)

    async def git(
        self, *args: str, where: Path | None = None, timeout: float | None = None
    ) -> bytes:
        """Run git with these arguments (in the mirror by default); its stdout."""
        limit = timeout or self.timeout
        process = await asyncio.create_subprocess_exec(
            "git", *args,
            cwd=str(where or self.mirror), env=self._environment(),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        try:
            async with asyncio.timeout(limit):  # wait_for (3.11) can swallow a cancellation
                out, err = await process.communicate()
        except TimeoutError:
            await _stop(process)
            raise GitError(f"git {args[0]} took longer than {limit:g} s and was stopped") from None
        except asyncio.CancelledError:  # the worker is stopping: git must not outlive it
            await _stop(process)
            raise
        if process.returncode != 0:
            message = err.decode(errors="replace").strip().splitlines()
            raise GitError(self.redact(f"git {args[0]} failed: {' '.join(message[-3:])[:500]}"))
        return out

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")  # ssh never asks either
        if self.token:
            env.update(
                GIT_ASKPASS=str(self._askpass()),
                ECOPLANE_GIT_ASKPASS_USERNAME=self.username,
                ECOPLANE_GIT_ASKPASS_TOKEN=self.token,
            )
        return env

    def _askpass(self) -> Path:
        script = self.home / "askpass.sh"
        if not script.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            script.write_text(ASKPASS)
            script.chmod(stat.S_IRWXU)
        return script

    async def fetch(self) -> None:
        """Bring the mirror up to date with the repository's branches and tags."""
        async with self.lock:
            if not (self.mirror / "HEAD").exists():
                self.mirror.mkdir(parents=True, exist_ok=True)
                await self.git("init", "--bare", "--quiet")
                await self.git("config", "remote.origin.url", self.url)
            await self.git(
                "fetch", "--prune", "--no-tags", "--quiet", "origin",
                "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
            )  # fmt: skip

    async def resolve(self, ref: str) -> str:
        """The commit a ref names in the mirror; fetched by sha when no branch holds it."""
        ref = check_ref(ref)
        found = await self._commit(ref)
        if found is None and SHA.fullmatch(ref):
            async with self.lock:
                await self.git("fetch", "--quiet", "origin", ref)
            found = await self._commit(ref)
        if found is None:
            raise GitError(f"{ref!r} names no branch, tag or commit of the repository")
        return found

    async def _commit(self, ref: str) -> str | None:
        try:
            return (
                (await self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"))
                .decode()
                .strip()
            )
        except GitError:
            return None

    async def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether `older` is an ancestor of `newer` (a commit is its own ancestor)."""
        try:
            await self.git("merge-base", "--is-ancestor", older, newer)
        except GitError:
            return False
        return True

    async def descendants(self, commit: str) -> set[str]:
        """The commits of the mirror that descend from this one (itself excluded)."""
        out = await self.git("rev-list", "--ancestry-path", "--all", f"^{commit}")
        return set(out.decode().split())

    async def head(self, branch: str) -> str | None:
        """The commit the branch points to in the repository now (git ls-remote), or None."""
        check_ref(branch, "branch")
        self.home.mkdir(parents=True, exist_ok=True)
        out = await self.git(
            "ls-remote", "--heads", self.url, f"refs/heads/{branch}", where=self.home
        )
        lines = out.decode().split()
        return lines[0] if lines else None

    async def subtree_size(self, commit: str, subdir: str) -> int:
        """The bytes of every file under the model directory at this commit."""
        out = await self.git("ls-tree", "-r", "-l", "-z", tree_of(commit, subdir))
        sizes = (entry.split(b"\t", 1)[0].split()[-1] for entry in out.split(b"\0") if entry)
        return sum(int(size) for size in sizes if size.isdigit())

    @asynccontextmanager
    async def checkout(self, commit: str, subdir: str, max_bytes: int) -> AsyncIterator[Path]:
        """The model directory of a commit in a private temporary directory, removed afterwards."""
        if await self._commit(commit) is None:
            raise GitError(f"commit {commit} is not in the mirror")
        try:
            kind = (await self.git("cat-file", "-t", tree_of(commit, subdir))).strip()
        except GitError:
            kind = b""
        if kind != b"tree":
            raise CommitUnusableError(
                f"the model directory {subdir!r} does not exist at commit {commit[:12]}"
            )
        size = await self.subtree_size(commit, subdir)
        if size > max_bytes:
            raise ModelTooLargeError(
                f"the model directory of commit {commit[:12]} has {size} bytes;"
                f" at most {max_bytes} are read (ECOPLANE_MAX_COMMIT_BYTES)"
            )
        archive = await self.git("archive", "--format=tar", tree_of(commit, subdir))
        target = Path(tempfile.mkdtemp(prefix="ecoplane-model-"))  # mode 0700: private
        try:
            await asyncio.to_thread(_extract, archive, target)
            yield target
        finally:
            await asyncio.to_thread(shutil.rmtree, target, True)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Kill git and its helpers (its own process group: they hold its pipes), and reap it.

    Not once git is reaped: its pid may then be another process's (Postgres backends lead
    process groups of their own).
    """
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


def tree_of(commit: str, subdir: str) -> str:
    """The tree-ish of the model directory at a commit."""
    path = subdir.strip().strip("/")
    path = "" if path in ("", ".") else path.removeprefix("./")
    if ".." in path.split("/") or path.startswith("-"):
        raise GitError(f"the model directory {subdir!r} is not a path inside the repository")
    return f"{commit}:{path}"  # `<commit>:` is the root tree


def _extract(archive: bytes, target: Path) -> None:
    """Extract a tar archive from git with the `data` filter.

    A symbolic link is kept as it is, wherever it points: the loader never follows one (it
    reports `symlink-skipped` and counts its target in the content hash), and nothing is
    extracted through one (the filter checks every other member's real path).
    """
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        try:
            tar.extractall(target, filter=_links_kept)
        except tarfile.FilterError as error:
            raise CommitUnusableError(
                f"the commit holds a file that cannot be extracted safely: {error}"
            ) from error


def _links_kept(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """The `data` filter, except that a symbolic link leading anywhere is extracted as a link."""
    try:
        return tarfile.data_filter(member, path)
    except (tarfile.AbsoluteLinkError, tarfile.LinkOutsideDestinationError):
        if not member.issym():
            raise
        return member.replace(uid=None, gid=None, deep=False)  # type: ignore[arg-type]
