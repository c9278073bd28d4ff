"""The local secret store: JSON files with 0600 permissions under the data directory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.ecosystem.names import credentials_secret
from app.security.secrets.base import Credentials, SecretInfo, SecretStoreError
from app.security.warehouses.postgres_variables import libpq_variables

SAFE = re.compile(r"[A-Za-z0-9_]{1,64}")


class LocalSecretStore:
    """`<root>/<transformer>/current.json` and `pending.json`; a promotion is a rename.

    The current credentials are also kept as libpq variables in
    `<root>/../ecoplane-dt-<name>.json`, where the local runner gives them to a run.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, transformer: str) -> Path:
        """A folder name that cannot leave the root, whatever the transformer is called."""
        if SAFE.fullmatch(transformer):
            return self.root / transformer
        return self.root / ("_" + hashlib.sha256(transformer.encode()).hexdigest()[:32])

    async def inventory(self) -> dict[str, SecretInfo]:
        """Every transformer with a folder, from the files' contents."""
        return await asyncio.to_thread(self._inventory)

    def _inventory(self) -> dict[str, SecretInfo]:
        found: dict[str, SecretInfo] = {}
        if not self.root.is_dir():
            return found
        for folder in sorted(self.root.iterdir()):
            current, pending = (
                read_json(folder / "current.json"),
                read_json(folder / "pending.json"),
            )
            document = current or pending
            if document is None:
                continue
            set_at = datetime.fromisoformat(current["setAt"]) if current else None
            found[document["transformer"]] = SecretInfo(
                current is not None, pending is not None, set_at
            )
        return found

    async def stage(self, transformer: str, credentials: Credentials) -> None:
        """Write pending.json (0600) before the role gets the password."""
        document = {"transformer": transformer, **asdict(credentials)}
        await asyncio.to_thread(self._write, self._folder(transformer) / "pending.json", document)

    async def pending(self, transformer: str) -> Credentials | None:
        """The staged credentials, if any."""
        return _credentials(
            await asyncio.to_thread(read_json, self._folder(transformer) / "pending.json")
        )

    async def current(self, transformer: str) -> Credentials | None:
        """The credentials in use, if any."""
        return _credentials(
            await asyncio.to_thread(read_json, self._folder(transformer) / "current.json")
        )

    async def promote(self, transformer: str) -> None:
        """pending.json becomes current.json, stamped with the time (an atomic rename)."""
        await asyncio.to_thread(self._promote, self._folder(transformer))

    def _promote(self, folder: Path) -> None:
        document = read_json(folder / "pending.json")
        if document is None:
            return
        document["setAt"] = datetime.now(UTC).isoformat()
        self._write(folder / "pending.json", document)
        os.replace(folder / "pending.json", folder / "current.json")
        credentials = _credentials(document)
        assert credentials is not None
        self._write(self._runtime(document["transformer"]), libpq_variables(credentials))

    def _runtime(self, transformer: str) -> Path:
        return self.root.parent / f"{credentials_secret(transformer)}.json"

    async def delete(self, transformer: str) -> None:
        """Remove the transformer's folder and its run-time file."""
        await asyncio.to_thread(shutil.rmtree, self._folder(transformer), True)
        await asyncio.to_thread(self._runtime(transformer).unlink, True)

    async def close(self) -> None:
        """Nothing to release."""

    def _write(self, path: Path, document: dict[str, Any] | dict[str, str]) -> None:
        write_private_json(path, document)


def write_private_json(path: Path, document: dict[str, Any] | dict[str, str]) -> None:
    """Write a JSON document readable by its owner only (0600), replacing the file atomically."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # a temporary name of its own (0600 from the start): two writers of one path never
        # share a half-written file, and the last complete one wins
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump(document, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise SecretStoreError(f"cannot write the local secret store: {error.strerror}") from None


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON document of the store, None when the file is missing."""
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise SecretStoreError(
            f"cannot read the local secret store at {path.parent.name}: {type(error).__name__}"
        ) from None
    return document


def _credentials(document: dict[str, Any] | None) -> Credentials | None:
    if document is None:
        return None
    fields = ("username", "password", "host", "port", "dbname")
    return Credentials(**{k: document[k] for k in fields})
