"""The secrets of local runs as files: `<directory>/<secret>.json`, what the local store writes."""

from __future__ import annotations

import json
from pathlib import Path

from app.ecosystem.names import credentials_secret
from app.security.secrets.source_logins import LocalSourceLogins


class SecretFiles:
    """`<directory>/<secret>.json`, one object of keys: what the local secret store writes on
    promote (`ecoplane-dt-<name>.json`), and the other secrets of local runs."""

    store = "local"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def credentials(self, transformer: str) -> dict[str, str] | None:
        """The file the local secret store promoted for the transformer."""
        return await self.values(credentials_secret(transformer))

    async def source_login(self, credential: str) -> dict[str, str] | None:
        """The source login `ecoplane credential set` wrote (`ecoplane-source-<name>.json`)."""
        login = await LocalSourceLogins(self.directory).get(credential)
        return login.variables() if login is not None else None

    async def values(self, secret: str) -> dict[str, str] | None:
        """The string keys of `<secret>.json` (a few hundred bytes: read on the loop)."""
        try:
            found = json.loads((self.directory / f"{secret}.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(found, dict):
            return None
        return {k: v for k, v in found.items() if isinstance(v, str)}

    async def close(self) -> None:
        """Nothing to release."""
