"""The repository through git: the model subtree materialised privately, sizes, and the token kept secret."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gitsource.git import GitError, ModelTooLargeError, Repository, check_ref
from app.gitsource.service import build_ingestion
from app.settings import Settings
from tests.ecosystem.modeltext import BASE
from tests.gitsource.conftest import ingest, request
from tests.gitsource.repo import ModelRepo

TOKEN = "ghp_" + "R2d2C3poBb8ZxQ4mK7nL1pW9sT6vY0uHj3Fe"  # shaped like a GitHub token


async def test_the_model_subdirectory_of_a_commit_is_materialised_privately_and_removed(
    tmp_path: Path,
) -> None:
    origin = ModelRepo(tmp_path / "origin", subdir="model")
    sha = origin.commit({**BASE, "../README.md": "not the model\n"})
    repository = Repository(url=str(origin.path), home=tmp_path / "data" / "git")
    await repository.fetch()
    assert await repository.resolve("main") == sha
    async with repository.checkout(sha, "model", 10**6) as directory:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        found = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.yaml"))
        assert found == sorted(BASE)
        assert not (directory / "README.md").exists()
    assert not directory.exists()
    with pytest.raises(GitError, match="'elsewhere' does not exist"):
        async with repository.checkout(sha, "elsewhere", 10**6):
            pass


async def test_a_commit_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    origin = ModelRepo(tmp_path / "origin")
    sha = origin.commit(dict(BASE))
    repository = Repository(url=str(origin.path), home=tmp_path / "git")
    await repository.fetch()
    size = await repository.subtree_size(sha, ".")
    assert size == sum(len(text.encode()) for text in BASE.values())
    with pytest.raises(ModelTooLargeError, match=f"has {size} bytes; at most 1024"):
        async with repository.checkout(sha, ".", 1024):
            pass


def test_refs_that_could_be_options_or_paths_are_refused() -> None:
    assert check_ref(" main ") == "main"
    for bad in ("--upload-pack=touch /tmp/x", "-x", "a..b", "a b", "", "refs/heads/x.lock", "x/"):
        with pytest.raises(Exception, match="is not a branch, tag or commit name"):
            check_ref(bad)


class _AskingForCredentials(BaseHTTPRequestHandler):
    """A git http server that wants Basic credentials and then refuses them."""

    seen: list[str] = []

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        if authorization is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
        else:
            self.seen.append(authorization)
            self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def git_server() -> Iterator[str]:
    """The URL of a repository on a loopback server that refuses every credential."""
    _AskingForCredentials.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AskingForCredentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/acme/data-model.git"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_the_token_never_appears_in_arguments_errors_or_logs(
    engine: AsyncEngine, git_server: str, database_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    arguments: list[tuple[str, ...]] = []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: str, **kwargs: Any) -> asyncio.subprocess.Process:
        arguments.append(args)
        return await spawn(*args, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "data", model_repo=git_server,
        git_token=TOKEN,
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    failing = await request(engine, "main", trigger="manual")
    await build_ingestion(engine, settings).worker.run_once()
    failed = await ingest(engine, failing)
    assert failed.state == "failed" and "git fetch failed" in (failed.detail or "")
    # git did send the token (through the askpass script), as Basic credentials
    sent = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert _AskingForCredentials.seen and _AskingForCredentials.seen[-1] == f"Basic {sent}"
    assert TOKEN not in (failed.detail or "")
    assert TOKEN not in caplog.text and "ingest" in caplog.text
    assert arguments and not any(TOKEN in " ".join(args) for args in arguments)
    assert TOKEN not in settings.model_dump_json() and TOKEN not in repr(settings)
    assert not any(
        TOKEN in text.read_text() for text in (tmp_path / "data").rglob("*") if text.is_file()
    )


async def test_a_password_written_into_the_url_is_removed_from_errors(
    git_server: str, tmp_path: Path
) -> None:
    url = git_server.replace("http://", f"http://someone:{TOKEN}@")
    repository = Repository(url=url, home=tmp_path / "git", timeout=30)
    with pytest.raises(GitError) as raised:
        await repository.head("main")
    assert TOKEN not in raised.value.detail and TOKEN not in str(raised.value)
    assert os.environ.get("ECOPLANE_GIT_ASKPASS_TOKEN") is None  # only the child's environment


async def test_a_git_command_that_hangs_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/acme/data-model.git"
        repository = Repository(url=url, home=tmp_path / "git", timeout=1)
        with pytest.raises(GitError, match="git ls-remote took longer than 1 s and was stopped"):
            await repository.head("main")
