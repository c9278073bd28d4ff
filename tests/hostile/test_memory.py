"""The real server under hostile uploads: its memory stays under the bound docs/security.md states.

Each upload is refused early (413, or 422 for a malformed one) or validated within the model
limits; the server's peak RSS (VmHWM) is read from /proc after them all.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.catalog.store import store_model
from app.ecosystem.generate import GeneratorSize, generate_model
from app.ecosystem.loader import load_directory
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
RSS_BOUND_MB = 768  # the bound stated in docs/security.md, "## Memory bound"
MB = 1024 * 1024


def _server_pid(base: str) -> int:
    """The pid of the `ecoplane serve` child listening on the base URL's port."""
    port = base.rsplit(":", 1)[1]
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in words and port.encode() in words:
            return int(status.parent.name)
    raise AssertionError(f"no server process on port {port}")


def _memory_mb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in MiB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {
        name: int(value.split()[0]) // 1024
        for name, _, value in (line.partition(":") for line in lines)
        if name in ("VmRSS", "VmHWM")
    }


def _generated(folder: Path, datastores: int) -> dict[str, str]:
    """A valid generated model as a files map."""
    generate_model(folder, GeneratorSize(
        datastores=datastores, datasets_per_datastore=16, columns_per_dataset=10,
        workspaces=2 * datastores, sinks_per_workspace=22, transformers=datastores // 2,
    ))  # fmt: skip
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*.yaml")}


class _Zeros(io.RawIOBase):
    """size zero bytes, read in chunks (never held whole)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def _gzip_bomb(name: str, size: int) -> bytes:
    """A tar.gz holding one file of size zero bytes: a few hundred KiB on the wire."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        member = tarfile.TarInfo(name)
        member.size = size
        archive.addfile(member, io.BufferedReader(_Zeros(size)))
    return out.getvalue()


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real server on a database whose active version is the acme example."""

    async def store_acme() -> None:
        from app.db.engine import create_engine

        engine = create_engine(database_url)
        try:
            await store_model(engine, load_directory(ROOT / "examples" / "acme"), source="acme")
        finally:
            await engine.dispose()

    asyncio.run(store_acme())
    env = {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_ANONYMOUS_READ": "true",
        "ECOPLANE_DATA_DIR": str(tmp_path / "data"), "ECOPLANE_SCHEDULER": "false",
    }  # fmt: skip
    with running_service(env, tmp_path / "serve.log") as base:
        yield base


def test_hostile_uploads_are_refused_and_the_server_stays_under_its_memory_bound(
    service: str, tmp_path: Path
) -> None:
    pid = _server_pid(service)
    idle = _memory_mb(pid)
    valid = _generated(tmp_path / "valid", 400)  # 4.8 MB of YAML: the measured case
    big = _generated(tmp_path / "big", 1000)  # 12 MB: past ECOPLANE_MAX_MODEL_BYTES
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("valid 4.8 MB", {"json": {"files": valid}}, 200),
        ("12 MB files map", {"json": {"files": big}}, 413),
        ("gzip bomb, model file", {"files": {"model": _gzip_bomb("a.yaml", 512 * MB)}}, 413),
        ("gzip bomb, other file", {"files": {"model": _gzip_bomb("a.bin", 512 * MB)}}, 413),
        (
            "many tiny files",
            {"json": {"files": {f"f{i}.yaml": "a: 1\n" for i in range(300_000)}}},
            413,
        ),
        (
            "wide flow list",
            {"json": {"files": {"wide.yaml": "a: [" + "1," * 500_000 + "1]\n"}}},
            200,
        ),
        (
            "wide flow lists",
            {"json": {"files": {f"w{i}.yaml": "a: [" + "1," * 500_000 + "1]\n" for i in range(8)}}},
            413,
        ),
        ("a 2 MB file", {"json": {"files": {"big.yaml": "a: [" + "1," * 1_000_000 + "1]\n"}}}, 413),
        (
            "deep YAML",
            {"json": {"files": {"deep.yaml": "a: " + "[" * 200_000 + "]" * 200_000}}},
            200,
        ),
        ("many documents", {"json": {"files": {"docs.yaml": "---\na: 1\n" * 200_000}}}, 413),
        ("15 MB of no model file", {"json": {"files": {"notes.txt": "x" * 15 * MB}}}, 422),
        ("17 MB body", {"json": {"files": {"notes.txt": "x" * 17 * MB}}}, 413),
    ]
    seen: dict[str, tuple[int, str, int]] = {}
    with httpx.Client(base_url=service, timeout=300) as client:
        for name, body, _ in cases:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak restarts from now
            answer = client.post("/api/v1/validate", **body)
            seen[name] = (
                answer.status_code,
                answer.headers["content-type"],
                _memory_mb(pid)["VmHWM"],
            )
    assert idle["VmRSS"] < RSS_BOUND_MB // 2, idle
    for name, _, status in cases:
        assert seen[name][0] == status, (name, seen[name])
        if status != 200:
            assert seen[name][1] == "application/problem+json", (name, seen[name])
    assert max(peak for _, _, peak in seen.values()) < RSS_BOUND_MB, seen


# the same on any Postgres server: make test-pg leaves it to make test
pytestmark = pytest.mark.server_neutral
