"""GET /model-versions/{old}/diff/{new} and POST /validate, against stored versions."""

from __future__ import annotations

import io
import tarfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.catalog.store import StoredVersion, store_model
from app.ecosystem.loader import load_texts
from app.settings import Settings
from tests.api.conftest import client_for
from tests.conftest import EXAMPLES
from tests.ecosystem.modeltext import ANALYTICS, BASE

BASE_URL = "/api/v1"
ACME = EXAMPLES / "acme"
CUSTOMERS = "zones/USA/teams/FrontOffice/customers.yaml"
PHONE = "        - {name: phone, type: varchar(32), classification: [pc2]}\n"
PHONE_PATH = "Datastore/Customers/datasets/customers/columns/phone"
SMALL = 4096


def acme_files(without_phone: bool = False) -> dict[str, str]:
    """examples/acme read from disk; optionally with the sunk column customers.phone removed."""
    files = {p.relative_to(ACME).as_posix(): p.read_text() for p in sorted(ACME.rglob("*.yaml"))}
    if without_phone:
        assert PHONE in files[CUSTOMERS]
        files[CUSTOMERS] = files[CUSTOMERS].replace(PHONE, "")
    return files


def tar_gz(files: dict[str, str], links: dict[str, str] | None = None) -> bytes:
    """A tar.gz archive of files (path → text) and symbolic links (path → target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


async def upload(api: httpx.AsyncClient, archive: bytes) -> httpx.Response:
    """POST /validate with the archive as the multipart field `model`."""
    files = {"model": ("model.tar.gz", archive, "application/gzip")}
    return await api.post(f"{BASE_URL}/validate", files=files)


async def versions(engine: AsyncEngine) -> list[Any]:
    """Every model version row, with how many partitions the model tables have."""
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, state FROM model_versions ORDER BY id"))
        partitions = await connection.scalar(
            text("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent")
        )
    return [*rows.all(), partitions]


@pytest.fixture
async def edited(engine: AsyncEngine, acme: StoredVersion) -> StoredVersion:
    """acme without customers.phone, stored after acme (so active)."""
    model = load_texts(dict(acme_files(without_phone=True)))
    return await store_model(engine, model, source="edited", commit_sha="e5f6a7b8c9d0")


@pytest.fixture
async def small_api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that reads uploads of at most SMALL bytes."""
    settings = Settings(database_url=database_url, anonymous_read=True, max_upload_bytes=SMALL)
    async for client in client_for(settings):
        yield client


def phone_removed(diff: dict[str, Any]) -> dict[str, Any]:
    """The breaking removal of customers.phone in a diff body."""
    found: list[dict[str, Any]] = [c for c in diff["changes"] if c["path"] == PHONE_PATH]
    assert len(found) == 1, diff["changes"]
    change = found[0]
    assert (change["kind"], change["rule"], change["severity"]) == (
        "removed",
        "column-removed",
        "breaking",
    )
    return change


async def test_diff_between_stored_versions(
    api: httpx.AsyncClient, acme: StoredVersion, edited: StoredVersion
) -> None:
    response = await api.get(f"{BASE_URL}/model-versions/{acme.id}/diff/{edited.id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"]["id"], body["from"]["state"], body["from"]["commit"]) == (
        acme.id,
        "superseded",
        "a1b2c3d4",
    )
    assert (body["to"]["id"], body["to"]["state"]) == (edited.id, "active")
    assert body["breaking"] == 1 and len(body["changes"]) == 1
    assert phone_removed(body)["affectedWorkspaces"] == ["TradeSurveillance"]
    back = (await api.get(f"{BASE_URL}/model-versions/{edited.id}/diff/{acme.id}")).json()
    assert back["breaking"] == 0 and [c["rule"] for c in back["changes"]] == ["added"]
    same = (await api.get(f"{BASE_URL}/model-versions/{acme.id}/diff/{acme.id}")).json()
    assert (same["breaking"], same["changes"]) == (0, [])


async def test_diff_by_commit_sha(
    api: httpx.AsyncClient, acme: StoredVersion, edited: StoredVersion
) -> None:
    response = await api.get(f"{BASE_URL}/model-versions/a1b2c3d4/diff/E5F6A7B8")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"]["id"], body["to"]["id"], body["breaking"]) == (acme.id, edited.id, 1)


async def test_diff_of_an_unknown_version_names_it(
    api: httpx.AsyncClient, acme: StoredVersion
) -> None:
    missing = await api.get(f"{BASE_URL}/model-versions/{acme.id}/diff/987654")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "not-found" and "'987654'" in missing.json()["detail"]
    sha = await api.get(f"{BASE_URL}/model-versions/deadbeef/diff/{acme.id}")
    assert sha.status_code == 404 and "'deadbeef'" in sha.json()["detail"]
    bad = await api.get(f"{BASE_URL}/model-versions/{acme.id}/diff/not-a-version")
    assert bad.status_code == 422 and bad.json()["errors"][0]["parameter"] == "new"


async def test_validate_json_files_reports_problems_with_positions(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await versions(engine)
    broken = dict(BASE)
    broken["zones/usa/analytics.yaml"] = ANALYTICS.replace(
        "dataset: customers}", "dataset: clients}"
    )
    broken["zones/usa/broken.yaml"] = "apiVersion: ecoplane.io/v1\nkind: [unclosed\n"
    response = await api.post(f"{BASE_URL}/validate", json={"files": broken})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == 2 and body["warnings"] == 0 and body["diff"] is None
    by_code = {p["code"]: p for p in body["problems"]}
    sink = by_code["sink-unknown-dataset"]
    assert (sink["file"], sink["line"]) == ("zones/usa/analytics.yaml", 14)
    assert sink["column"] > 1 and sink["path"].startswith("Workspace/CustomerAnalytics")
    syntax = by_code["yaml-syntax"]
    assert (syntax["file"], syntax["line"]) == ("zones/usa/broken.yaml", 2)
    assert await versions(engine) == before  # nothing stored


async def test_validate_a_tar_gz_upload(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    before = await versions(engine)
    archive = tar_gz({f"./acme/{path}": content for path, content in acme_files().items()})
    response = await upload(api, archive)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["errors"], body["diff"]) == (0, None)
    assert await versions(engine) == before


async def test_validate_diffs_against_the_active_version(
    api: httpx.AsyncClient, engine: AsyncEngine, acme: StoredVersion
) -> None:
    before = await versions(engine)
    same = await upload(api, tar_gz(acme_files()))
    diff = same.json()["diff"]
    assert (diff["from"]["id"], diff["breaking"], diff["changes"]) == (acme.id, 0, [])
    response = await api.post(
        f"{BASE_URL}/validate", json={"files": acme_files(without_phone=True)}
    )
    body = response.json()
    assert body["errors"] == 0 and body["diff"]["breaking"] == 1
    assert phone_removed(body["diff"])["affectedWorkspaces"] == ["TradeSurveillance"]
    assert await versions(engine) == before


async def test_oversized_bodies_are_refused(small_api: httpx.AsyncClient) -> None:
    large = {"files": {"ecosystem.yaml": "#" * SMALL}}
    declared = await small_api.post(f"{BASE_URL}/validate", json=large)
    assert declared.status_code == 413 and declared.json()["type"] == "payload-too-large"

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted as it arrives
        for _ in range(SMALL // 512 + 1):
            yield b" " * 512

    streamed = await small_api.post(
        f"{BASE_URL}/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    bomb = tar_gz({"ecosystem.yaml": "#" * (SMALL * 4)})
    assert len(bomb) < SMALL
    expanded = await upload(small_api, bomb)
    assert expanded.status_code == 413 and "bytes" in expanded.json()["detail"]


async def test_a_corrupt_archive_names_the_field(api: httpx.AsyncClient) -> None:
    for archive in (b"not a tar at all", tar_gz(dict(BASE))[:-200]):
        response = await upload(api, archive)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "invalid-parameter"
        assert problem["errors"][0]["parameter"] == "model"


async def test_unsafe_members_are_rejected_not_extracted(api: httpx.AsyncClient) -> None:
    for unsafe in ("../escape.yaml", "model/../../escape.yaml", "/etc/escape.yaml"):
        response = await upload(api, tar_gz({**BASE, unsafe: "kind: Evil\n"}))
        assert response.status_code == 422, unsafe
        assert repr(unsafe) in response.json()["detail"]
        assert response.json()["errors"][0]["parameter"] == "model"
    link = await upload(api, tar_gz(dict(BASE), links={"zones/usa/x.yaml": "/etc/passwd"}))
    assert link.status_code == 422 and "link" in link.json()["detail"]


async def test_archives_skip_hidden_folders_and_other_files(api: httpx.AsyncClient) -> None:
    extra = {".github/workflows/ci.yml": "on: push\n", "README.md": "# model\n"}
    response = await upload(api, tar_gz({**BASE, **extra}, links={"docs": "README.md"}))
    assert response.status_code == 200, response.text
    assert (response.json()["errors"], response.json()["warnings"]) == (0, 0)


async def test_bodies_that_are_not_a_model(api: httpx.AsyncClient) -> None:
    url = f"{BASE_URL}/validate"
    empty = await api.post(url, json={"files": {"README.md": "# not a model"}})
    assert empty.status_code == 422 and empty.json()["errors"][0]["parameter"] == "files"
    wrong = await api.post(url, json={"files": ["ecosystem.yaml"]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["parameter"] == "files"
    no_field = await api.post(url, files={"other": ("m.tar.gz", b"x")})
    assert no_field.status_code == 422 and no_field.json()["errors"][0]["parameter"] == "model"
    text_body = await api.post(url, content=b"ecosystem", headers={"content-type": "text/plain"})
    assert text_body.status_code == 415
    assert text_body.json()["type"] == "unsupported-media-type"
