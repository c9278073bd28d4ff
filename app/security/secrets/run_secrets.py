"""The secrets of local runs, from the store the security sync writes (injected into the runner).

With the local store, every secret is a file `<data dir>/secrets/<secret>.json` (the store
writes a transformer's on promote). With another store, a transformer's own credentials are
its current ones in that store, as the warehouse's connection variables (libpq's for Postgres),
read again for every run (a rotation is seen at once), and so are the source logins of data
ingestions (`ecoplane credential set`); other secrets still come from the files.
"""

from __future__ import annotations

from app.security.secrets.base import SecretStore
from app.security.secrets.factory import secret_store, source_logins
from app.security.secrets.secret_files import SecretFiles
from app.security.secrets.source_logins import SourceLogins
from app.security.warehouses.base import WarehouseKind
from app.security.warehouses.factory import warehouse_kind
from app.settings import Settings


class StoreCredentials:
    """A transformer's credentials and the source logins from a secret store; other secrets
    from the local files."""

    def __init__(
        self,
        store: SecretStore,
        kind: str,
        files: SecretFiles,
        warehouse: WarehouseKind,
        logins: SourceLogins,
    ) -> None:
        self.secret_store = store
        self.store = kind
        self.files = files
        self.warehouse = warehouse
        self.logins = logins

    async def credentials(self, transformer: str) -> dict[str, str] | None:
        """The store's current credentials of the transformer, as the warehouse's variables."""
        current = await self.secret_store.current(transformer)
        return self.warehouse.connection_variables(current) if current is not None else None

    async def source_login(self, credential: str) -> dict[str, str] | None:
        """The store's source login of the credential (`user`, `password`)."""
        login = await self.logins.get(credential)
        return login.variables() if login is not None else None

    async def values(self, secret: str) -> dict[str, str] | None:
        """Another secret, from its local file."""
        return await self.files.values(secret)

    async def close(self) -> None:
        """Close the store's clients."""
        await self.secret_store.close()
        await self.logins.close()


def run_secrets(settings: Settings) -> SecretFiles | StoreCredentials:
    """The secrets source of the local runner for `ECOPLANE_SECRET_STORE` (app.jobs' `RunSecrets`)."""
    files = SecretFiles(settings.data_dir / "secrets")
    if settings.secret_store == "local":
        return files
    store = secret_store(settings)
    return StoreCredentials(
        store, settings.secret_store, files, warehouse_kind(settings), source_logins(settings)
    )
