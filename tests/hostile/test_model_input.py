"""Hostile model input: content identity, limits, links, paths, and failures that repeat."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import store_model
from app.db.engine import driver_connection
from app.ecosystem.archive import ArchiveTooLargeError, read_archive
from app.ecosystem.limits import ModelLimits, ModelTooLargeError
from app.ecosystem.loader import load_directory, load_texts
from app.ecosystem.model import Model
from app.gitsource.poll import poll_once
from app.gitsource.queue import Ingest
from app.gitsource.service import build_ingestion, repository_of
from app.settings import Settings
from tests.api.conftest import client_for
from tests.ecosystem.modeltext import BASE
from tests.gitsource.conftest import active, ingest, request
from tests.gitsource.repo import ModelRepo, labelled
from tests.hostile.test_memory import _gzip_bomb

BINARY = bytes(range(256))
VALIDATE = "/api/v1/validate"


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


# --- content identity -------------------------------------------------------------------------


def test_an_unreadable_file_changes_the_content_hash() -> None:
    base = load_texts(dict(BASE)).content_hash
    for bad in (BINARY, b"name: caf\xe9\n", "a: 1\n" * 10):  # binary, not UTF-8, too large
        with_bad = load_texts({**BASE, "bad.yaml": bad}, ModelLimits(max_file_bytes=40))
        assert with_bad.errors >= 1 and with_bad.content_hash != base, bad
    one = load_texts({**BASE, "bad.yaml": BINARY}).content_hash
    assert one != load_texts({**BASE, "bad.yaml": BINARY[::-1]}).content_hash


def test_skipped_links_count_with_their_target(tmp_path: Path) -> None:
    hashes = []
    for target in ("/etc/passwd", "/etc/hosts"):
        root = _write(tmp_path / target.rsplit("/", 1)[1], dict(BASE))
        os.symlink(target, root / "zones" / "usa" / "linked.yaml")
        model = load_directory(root)
        assert [p.code for p in model.problems] == ["symlink-skipped"]
        hashes.append(model.content_hash)
    plain = load_directory(_write(tmp_path / "plain", dict(BASE))).content_hash
    assert len({*hashes, plain}) == 3


def test_a_directory_and_its_upload_have_one_hash(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {**BASE, "bad.yaml": BINARY}
    assert load_directory(_write(tmp_path, files)).content_hash == load_texts(files).content_hash


# --- ingests: identity, links, failures that repeat ---------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> ModelRepo:
    """A repository with the small valid model committed on main."""
    made = ModelRepo(tmp_path / "origin")
    made.commit_base()
    return made


def _settings(repo: ModelRepo, database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url, model_repo=str(repo.path), data_dir=tmp_path / "data", **extra
    )


async def _ingest_head(engine: AsyncEngine, repo: ModelRepo, settings: Settings) -> Ingest:
    """Queue the head of main, run the worker once; the finished ingest."""
    ingest_id = await request(engine, "main", repo.git("rev-parse", "HEAD"))
    await build_ingestion(engine, settings).worker.run_once()
    return await ingest(engine, ingest_id)


def _commit_bytes(repo: ModelRepo, name: str, content: bytes | None) -> str:
    path = repo.path / name
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "-m", f"change {name}")
    return repo.git("rev-parse", "HEAD")


async def test_a_commit_that_drops_its_bad_file_activates(
    engine: AsyncEngine, repo: ModelRepo, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(repo, database_url, tmp_path)
    assert (await _ingest_head(engine, repo, settings)).state == "active"
    repo.commit(labelled(1))
    _commit_bytes(repo, "zones/usa/blob.yaml", BINARY)
    bad = await _ingest_head(engine, repo, settings)
    assert (bad.state, bad.errors) == ("rejected", 1)
    fixed_sha = _commit_bytes(repo, "zones/usa/blob.yaml", None)
    fixed = await _ingest_head(engine, repo, settings)
    assert (fixed.state, fixed.errors) == ("active", 0), fixed
    assert fixed.version_id != bad.version_id
    assert await active(engine) == (fixed.version_id, fixed_sha)


async def test_an_unreadable_file_added_to_the_active_content_is_new_content(
    engine: AsyncEngine, repo: ModelRepo, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(repo, database_url, tmp_path)
    good = await _ingest_head(engine, repo, settings)
    _commit_bytes(repo, "zones/usa/notes.yaml", b"owner: caf\xe9\n")
    added = await _ingest_head(engine, repo, settings)
    assert (added.state, added.errors) == ("rejected", 1), added
    assert (await active(engine) or (0,))[0] == good.version_id


async def test_links_out_of_the_model_are_skipped_with_a_warning(
    engine: AsyncEngine, repo: ModelRepo, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(repo, database_url, tmp_path)
    os.symlink("/etc/passwd", repo.path / "zones" / "usa" / "passwd.yaml")
    os.symlink("/etc", repo.path / "zones" / "etc")
    os.symlink("../../../outside.yaml", repo.path / "zones" / "usa" / "up.yaml")
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "-m", "links")
    done = await _ingest_head(engine, repo, settings)
    assert (done.state, done.errors, done.warnings) == ("active", 0, 3), done
    async with engine.connect() as handle:
        codes = await (await driver_connection(handle)).fetch(
            "SELECT code, file FROM model_problems WHERE version_id = $1 ORDER BY file",
            done.version_id,
        )
    assert [(r["code"], r["file"]) for r in codes] == [
        ("symlink-skipped", "zones/etc"),
        ("symlink-skipped", "zones/usa/passwd.yaml"),
        ("symlink-skipped", "zones/usa/up.yaml"),
    ]


async def test_a_model_the_database_cannot_hold_is_rejected_once_and_not_polled_again(
    engine: AsyncEngine,
    repo: ModelRepo,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def with_nul(root: Path, limits: ModelLimits) -> Model:
        model = load_directory(root, limits)
        assert model.ecosystem is not None  # a value no check stops that Postgres cannot hold
        metadata = model.ecosystem.metadata.model_copy(update={"description": "a\x00b"})
        model.ecosystem = model.ecosystem.model_copy(update={"metadata": metadata})
        return model

    monkeypatch.setattr("app.gitsource.pipeline.load_directory", with_nul)
    settings = _settings(repo, database_url, tmp_path)
    with caplog.at_level(logging.WARNING, "ecoplane.ingest"):
        done = await _ingest_head(engine, repo, settings)
    assert done.state == "rejected" and "storing model version" in (done.detail or ""), done
    assert f"ingest {done.id} rejected" in caplog.text
    repository = repository_of(settings)
    assert repository is not None
    assert await poll_once(engine, repository, "main") is None  # the poll does not retry it


async def test_a_commit_over_the_model_limits_is_rejected_and_not_polled_again(
    engine: AsyncEngine, repo: ModelRepo, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(repo, database_url, tmp_path, max_model_bytes=1024)
    done = await _ingest_head(engine, repo, settings)
    assert done.state == "rejected" and "ECOPLANE_MAX_MODEL_BYTES" in (done.detail or ""), done
    repository = repository_of(settings)
    assert repository is not None
    assert await poll_once(engine, repository, "main") is None


async def test_concurrent_stores_of_one_content_make_one_version(engine: AsyncEngine) -> None:
    models = [load_texts(dict(BASE)) for _ in range(3)]
    stored = await asyncio.gather(*(store_model(engine, m, source="same") for m in models))
    assert len({s.id for s in stored}) == 1 and sum(s.created for s in stored) == 1
    async with engine.connect() as handle:
        count = await (await driver_connection(handle)).fetchval(
            "SELECT count(*) FROM model_versions WHERE content_hash = $1", models[0].content_hash
        )
    assert count == 1


# --- uploads: paths and limits ----------------------------------------------------------------


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client with anonymous reads and small model limits."""
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "data", anonymous_read=True,
        max_file_bytes=2048, max_model_bytes=8192, max_model_nodes=1000,
    )  # fmt: skip
    async for client in client_for(settings):
        yield client


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"../escape.yaml": "a: 1\n"}, "'../escape.yaml' steps out of the model"),
        ({"zones/../../up.yaml": "a: 1\n"}, "steps out of the model"),
        ({"/etc/passwd.yaml": "a: 1\n"}, "'/etc/passwd.yaml' is an absolute path"),
        ({"a.yaml": "a: 1\n", "./a.yaml": "a: 2\n"}, "'./a.yaml' names no new file"),
    ],
)
async def test_a_files_map_path_outside_the_model_is_refused(
    api: httpx.AsyncClient, files: dict[str, str], reason: str
) -> None:
    answer = await api.post(VALIDATE, json={"files": {**BASE, **files}})
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "invalid-parameter" and reason in answer.json()["detail"]


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ({"json": {"files": {**BASE, "big.yaml": "#" * 3000}}}, "ECOPLANE_MAX_FILE_BYTES"),
        (
            {"json": {"files": {f"f{i}.yaml": "#" * 2000 for i in range(5)}}},
            "ECOPLANE_MAX_MODEL_BYTES",
        ),
        (
            {"json": {"files": {"wide.yaml": "a: [" + "1," * 1000 + "1]"}}},
            "ECOPLANE_MAX_MODEL_NODES",
        ),
        ({"files": {"model": _tar({"big.yaml": b"#" * 3000})}}, "ECOPLANE_MAX_FILE_BYTES"),
        (
            {"files": {"model": _tar({f"{i}.yaml": b"#" * 2000 for i in range(5)})}},
            "ECOPLANE_MAX_MODEL_BYTES",
        ),
    ],
)
async def test_an_upload_past_a_limit_is_413_naming_it(
    api: httpx.AsyncClient, body: dict[str, Any], limit: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "ecoplane"):
        answer = await api.post(VALIDATE, **body)
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert limit in answer.json()["detail"]
    assert limit in caplog.text


def test_a_gzip_bomb_stops_at_the_decompression_limit() -> None:
    bomb = _gzip_bomb("filler.bin", 256 * 1024 * 1024)
    with pytest.raises(ArchiveTooLargeError, match="decompresses to more than 1048576 bytes"):
        read_archive(bomb, 1024 * 1024, ModelLimits())


def test_the_model_limits_hold_on_a_directory(tmp_path: Path) -> None:
    root = _write(tmp_path, dict(BASE))
    with pytest.raises(ModelTooLargeError, match="ECOPLANE_MAX_MODEL_BYTES"):
        load_directory(root, ModelLimits(max_model_bytes=1024))
    with pytest.raises(ModelTooLargeError, match="ECOPLANE_MAX_MODEL_NODES"):
        load_directory(root, ModelLimits(max_model_nodes=50))
    small = load_directory(root, ModelLimits(max_file_bytes=200))
    assert "file-too-large" in {p.code for p in small.problems}
