"""Rules on a datastore's ingestion: the source engine, the watermark column, the credential."""

from __future__ import annotations

from app.ecosystem.model import Datastore, Model
from app.ecosystem.names import credential_problem, source_secret
from app.ecosystem.problems import Problems
from app.ecosystem.spec.datastore import IngestionKind

SQL_KINDS = (IngestionKind.SQL_SNAPSHOT, IngestionKind.SQL_WATERMARK)
SOURCE_ENGINES = ("postgres", "mysql")


def check_ingestion(store: Datastore, problems: Problems) -> None:
    """Report an SQL source of an unknown engine, or a watermark column a dataset lacks."""
    ingestion = store.ingestion
    credential = ingestion.credential if ingestion is not None else None
    if credential is not None and (why := credential_problem(credential)):
        problems.error(
            "invalid-credential-name",
            f"datastore {store.name!r}: {why}",
            store.source.at("ingestion", "credential"),
            f"{store.path}/ingestion/credential",
        )
    if ingestion is None or ingestion.kind not in SQL_KINDS:
        return
    engine = ingestion.source.get("engine")
    if engine is not None and engine not in SOURCE_ENGINES:
        problems.error(
            "unsupported-source-engine",
            f"datastore {store.name!r} reads from engine {engine!r}; ecoplane ingests from "
            f"{' or '.join(SOURCE_ENGINES)}",
            store.source.at("ingestion", "source", "engine"),
            f"{store.path}/ingestion/source",
        )
    if ingestion.watermark is None:
        return
    for i, dataset in enumerate(store.body.datasets):
        if ingestion.watermark not in {c.name for c in dataset.columns}:
            problems.error(
                "unknown-watermark-column",
                f"dataset {dataset.name!r} has no column {ingestion.watermark!r}, the watermark "
                f"of datastore {store.name!r}",
                store.source.at("datasets", i, "name"),
                f"{store.path}/datasets/{dataset.name}",
            )


def check_credentials(model: Model, problems: Problems) -> None:
    """Report two credential names that would share one source-login secret (`crm_reader` and
    `crm-reader` are both `ecoplane-source-crm-reader`): each would read the other's login."""
    first: dict[str, str] = {}
    for store in model.datastores.values():
        credential = store.ingestion.credential if store.ingestion else None
        if credential is None or credential_problem(credential) is not None:
            continue
        secret = source_secret(credential)
        other = first.setdefault(secret, credential)
        if other != credential:
            problems.error(
                "credential-name-collision",
                f"datastore {store.name!r}: credentials {other!r} and {credential!r} would both "
                f"be the secret {secret}; use one name for one source login",
                store.source.at("ingestion", "credential"),
                f"{store.path}/ingestion/credential",
            )
