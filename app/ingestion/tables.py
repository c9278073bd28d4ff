"""What an ingestion writes: a datastore's datasets as raw tables (pure: no I/O).

The tables themselves are made and evolved by the security sync (app/security/raw.py); a batch
only checks them against the model and writes their rows as `di_<datastore>`."""

from __future__ import annotations

from dataclasses import dataclass

from app.ecosystem.model import Datastore
from app.ecosystem.spec.datastore import RUNNABLE_KINDS, Ingestion, Milestoning
from app.errors import AppError
from app.security import names
from app.security.objects import RAW_SCHEMA
from app.security.raw import BATCH_IN as BATCH_IN
from app.security.raw import BATCH_OUT as BATCH_OUT
from app.security.warehouses.postgres_sql import qualified, quote_ident
from app.security.warehouses.postgres_types import postgres_type

RUNNABLE = RUNNABLE_KINDS


class IngestionError(AppError):
    """A batch that cannot run or failed; the warehouse is left as it was."""

    status = 409
    type = "ingestion-failed"


@dataclass(frozen=True, slots=True)
class RawColumn:
    """A modelled column: its name at the source, in the warehouse, and its warehouse type."""

    name: str
    physical: str
    type: str
    nullable: bool
    key: bool

    @property
    def quoted(self) -> str:
        """The warehouse column, quoted."""
        return quote_ident(self.physical)


@dataclass(frozen=True, slots=True)
class RawTable:
    """A dataset as ingested: its raw table `raw.<datastore>__<dataset>` and its source table."""

    datastore: str
    dataset: str
    name: str
    source_table: str
    columns: tuple[RawColumn, ...]
    milestoning: Milestoning

    @property
    def qualified(self) -> str:
        """`raw.<name>`, quoted."""
        return qualified(RAW_SCHEMA, self.name)

    @property
    def keys(self) -> tuple[RawColumn, ...]:
        """The primary-key columns."""
        return tuple(c for c in self.columns if c.key)

    @property
    def values(self) -> tuple[RawColumn, ...]:
        """The columns outside the primary key."""
        return tuple(c for c in self.columns if not c.key)

    @property
    def label(self) -> str:
        """`dataset <datastore>.<dataset>`: how a refusal names the table."""
        return f"dataset {self.datastore}.{self.dataset}"

    def null_key(self) -> IngestionError:
        """The refusal of a source row whose primary key is null."""
        keys = ", ".join(c.physical for c in self.keys)
        return IngestionError(f"{self.label}: a source row has a null primary key ({keys})")

    def repeated_key(self, detail: str) -> IngestionError:
        """The refusal of a snapshot that holds a key twice (`detail` names it)."""
        return IngestionError(f"{self.label}: a snapshot holds a key twice: {detail}")


def runnable_ingestion(store: Datastore) -> Ingestion:
    """The datastore's ingestion when ecoplane runs its kind, else why not."""
    ingestion = store.ingestion
    if ingestion is None:
        raise IngestionError(f"datastore {store.name!r} declares no ingestion")
    if ingestion.kind not in RUNNABLE:
        raise IngestionError(
            f"datastore {store.name!r} is ingested by {ingestion.kind.value!r}, which ecoplane "
            "does not run yet (it runs sql-snapshot and sql-watermark)"
        )
    return ingestion


def raw_tables(store: Datastore) -> list[RawTable]:
    """The raw tables of a datastore's datasets; a dataset without a primary key is refused."""
    ingestion = runnable_ingestion(store)
    tables = []
    for dataset in store.body.datasets:
        columns = tuple(
            RawColumn(
                c.name, names.physical(c.name), postgres_type(c.type), c.is_nullable, c.primary_key
            )
            for c in dataset.columns
        )
        if not any(c.key for c in columns):
            raise IngestionError(
                f"dataset {store.name}.{dataset.name} has no primary key: ingestion merges by it"
            )
        tables.append(
            RawTable(
                store.name,
                dataset.name,
                names.raw_table(store.name, dataset.name),
                dataset.table_at_source,
                columns,
                ingestion.milestoning,
            )
        )
    return tables


def column_list(columns: tuple[RawColumn, ...], alias: str = "") -> str:
    """`a, b` or `s.a, s.b`: quoted warehouse columns."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + c.quoted for c in columns)


def column_definitions(table: RawTable) -> list[str]:
    """`"a" bigint NOT NULL`, ...: the modelled columns as a table declares them."""
    return [f"{c.quoted} {c.type}" + ("" if c.nullable else " NOT NULL") for c in table.columns]
