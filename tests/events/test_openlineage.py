"""OpenLineage run events of acme's transformers and ingestions: spec-valid, named, one runId."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from app.db.run_table import RunState
from app.ecosystem.loader import load_directory
from app.ecosystem.model import Model
from app.events.lineage_datasets import WarehouseAddress
from app.events.openlineage import (
    MAX_ERROR_CHARS,
    PRODUCER,
    EventType,
    RunKind,
    ended_event_type,
    run_event,
)
from app.ingestion.source import Endpoint
from app.ingestion.tables import IngestionError, raw_tables
from tests.events.openlineage_spec import SpecViolationError, check_run_event

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
WAREHOUSE = WarehouseAddress("postgres://warehouse.acme.internal:5432", "warehouse")
AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@cache
def acme() -> Model:
    return load_directory(ACME)


def event(
    event_type: EventType,
    kind: RunKind,
    target: str,
    *,
    run_id: int = 42,
    namespace: str = "ecoplane",
    model: Model | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return run_event(
        event_type,
        run_id=run_id,
        kind=kind,
        target=target,
        event_time=AT,
        model=model or acme(),
        namespace=namespace,
        producer=PRODUCER,
        warehouse=WAREHOUSE,
        **extra,
    )


def names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def in_warehouse(*tables: str) -> list[tuple[str, str]]:
    return [(WAREHOUSE.namespace, f"warehouse.{t}") for t in tables]


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("transformer", "build_capital_report"),
        ("transformer", "compute_revenue"),
        ("ingestion", "Settlements"),
        ("ingestion", "Merchants"),
        ("ingestion", "CardPayments"),  # kafka: no SQL source, raw tables still written
        ("transformer", "gone_since"),  # not in the model (any more): no datasets
    ],
)
def test_every_event_is_a_run_event_of_the_spec(
    event_type: EventType, kind: RunKind, target: str
) -> None:
    sent = event(event_type, kind, target, error="exit code 3", nominal_time=AT)
    check_run_event(sent)
    assert (sent["eventType"], sent["job"]["name"]) == (event_type, f"{kind}.{target}")
    assert sent["eventTime"] == "2026-12-02T09:30:00Z"


def test_a_transformer_reads_the_tables_behind_its_sinks_and_writes_its_outputs() -> None:
    sent = event("START", "transformer", "build_capital_report")
    assert names(sent["inputs"]) == in_warehouse(
        "out_compute_exposures.counterparty_exposures",  # RiskExposures: compute_exposures' output
        "out_compute_exposures.var_results",
        "raw.generalledger__gl_accounts",  # GeneralLedger: ingested
        "raw.generalledger__journal_lines",
        "raw.referencedata__legal_entities",
    )
    assert names(sent["outputs"]) == in_warehouse(
        "out_build_capital_report.rwa_by_entity", "out_build_capital_report.large_exposures"
    )
    assert sent["job"]["facets"]["jobType"] | {"_producer": "", "_schemaURL": ""} == {
        "_producer": "",
        "_schemaURL": "",
        "processingType": "BATCH",
        "integration": "ECOPLANE",
        "jobType": "TRANSFORMER",
    }


def test_what_one_run_writes_is_what_the_next_reads() -> None:
    """The names join in a lineage graph: ingestion → transformer → transformer."""
    ledger = event("COMPLETE", "ingestion", "GeneralLedger")
    exposures = event("COMPLETE", "transformer", "compute_exposures")
    report = event("START", "transformer", "build_capital_report")
    read = set(names(report["inputs"]))
    assert set(names(exposures["outputs"])) <= read
    assert in_warehouse("raw.generalledger__gl_accounts")[0] in set(names(ledger["outputs"]))
    assert in_warehouse("raw.generalledger__gl_accounts")[0] in read


def test_datasets_carry_the_modelled_columns() -> None:
    sent = event("START", "transformer", "build_capital_report")
    ledger = acme().datastores["GeneralLedger"].datasets["gl_accounts"]
    read = next(d for d in sent["inputs"] if d["name"].endswith("generalledger__gl_accounts"))
    expected = [
        {"name": c.name.lower(), "type": c.type}
        | ({"description": c.description} if c.description else {})
        for c in ledger.columns
    ]
    assert read["facets"]["schema"]["fields"] == expected
    assert len(expected) >= 3


def test_an_ingestion_reads_its_source_tables_and_writes_its_raw_tables() -> None:
    store = acme().datastores["Settlements"]
    sent = event("START", "ingestion", "Settlements")
    source = "postgres://settlement-db.ap-southeast-1.acme.internal:5432"
    assert names(sent["inputs"]) == [
        (source, f"settlement.public.{table}")
        for table in (
            "settlement_instructions",
            "settlement_fails",
            "custodian_positions",
            "cash_movements",
        )
    ]
    assert names(sent["outputs"]) == in_warehouse(*(f"raw.{t.name}" for t in raw_tables(store)))
    assert sent["job"]["facets"]["jobType"]["jobType"] == "INGESTION"


def test_source_names_follow_the_endpoint_an_ingestion_connects_to() -> None:
    """For every acme datastore the ingestion would run, the input is where it reads."""
    checked = 0
    for store in acme().datastores.values():
        if store.ingestion is None or store.ingestion.kind.value not in (
            "sql-snapshot",
            "sql-watermark",
        ):
            continue
        sent = event("START", "ingestion", store.name)
        try:
            endpoint = Endpoint.of(store.name, store.ingestion)
        except IngestionError:  # the ingestion cannot connect: it reads nothing
            assert sent["inputs"] == []
            continue
        assert names(sent["inputs"]) == [
            (
                f"postgres://{endpoint.host}:{endpoint.port}",
                f"{endpoint.database}.{endpoint.schema}.{d.table_at_source}",
            )
            for d in store.body.datasets
        ]
        checked += 1
    assert checked >= 4


def test_a_mysql_source_is_named_without_a_schema() -> None:
    model = copy.deepcopy(acme())
    store = model.datastores["Merchants"]
    assert store.ingestion is not None
    source = {"engine": "mysql", "host": "Acq-DB.example", "database": "acquiring"}
    store.ingestion = store.ingestion.model_copy(update={"source": source})
    sent = event("START", "ingestion", "Merchants", model=model)
    check_run_event(sent)
    assert names(sent["inputs"])[0] == ("mysql://acq-db.example:3306", "acquiring.merchants")


def test_a_source_without_a_database_is_no_input() -> None:
    sent = event("START", "ingestion", "CorporateActions")  # an sftp feed
    assert sent["inputs"] == []
    assert len(sent["outputs"]) == 3


def test_start_and_end_share_the_run_id_and_other_runs_do_not() -> None:
    ids = {event(t, "transformer", "compute_revenue")["run"]["runId"] for t in ("START", "FAIL")}
    ids |= {event("COMPLETE", "transformer", "compute_revenue")["run"]["runId"]}
    assert len(ids) == 1
    (run_id,) = ids
    assert uuid.UUID(run_id).version == 5
    other_run = event("START", "transformer", "compute_revenue", run_id=43)["run"]["runId"]
    other_installation = event("START", "transformer", "compute_revenue", namespace="ecoplane-eu")
    assert len({run_id, other_run, other_installation["run"]["runId"]}) == 3


def test_a_failure_says_why_and_a_success_does_not() -> None:
    failed = event("FAIL", "transformer", "compute_revenue", error="exit code 3: division by zero")
    assert failed["run"]["facets"]["errorMessage"]["message"] == "exit code 3: division by zero"
    assert failed["run"]["facets"]["errorMessage"]["programmingLanguage"] == "python"
    assert event("COMPLETE", "transformer", "compute_revenue")["run"]["facets"] == {}
    long = event("FAIL", "ingestion", "Settlements", error="x" * (MAX_ERROR_CHARS * 3))
    assert len(long["run"]["facets"]["errorMessage"]["message"]) == MAX_ERROR_CHARS


def test_times_are_utc_and_a_cron_run_has_its_nominal_time() -> None:
    local = datetime(2026, 12, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    sent = event("START", "transformer", "compute_revenue", nominal_time=local)
    assert sent["run"]["facets"]["nominalTime"]["nominalStartTime"] == "2026-12-02T09:30:00Z"


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (lambda: event("DONE", "transformer", "compute_revenue"), "'DONE'"),  # type: ignore[arg-type]
        (lambda: event("START", "security-sync", "sync"), "'security-sync'"),  # type: ignore[arg-type]
        (
            lambda: event("START", "transformer", "x", nominal_time=datetime(2026, 12, 2)),
            "no time zone",
        ),
    ],
)
def test_bad_arguments_are_refused_by_name(change: Callable[[], Any], refused: str) -> None:
    with pytest.raises(ValueError, match=refused):
        change()


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e["job"]["facets"]["jobType"].update(bogus=1),
        lambda e: e.update(eventType="DONE"),
        lambda e: e["run"].update(runId="42"),
        lambda e: e["run"]["facets"]["errorMessage"].pop("programmingLanguage"),
        lambda e: e["job"]["facets"]["jobType"].update(_schemaURL="https://example.com/x.json"),
        lambda e: e["inputs"][0].update(table="x"),
        lambda e: e.update(schemaURL="https://openlineage.io/spec/1-0-0/OpenLineage.json"),
        # what the client's classes let through, checked as the schema says
        lambda e: e["job"].update(namespace=7),
        lambda e: e["outputs"][0]["facets"]["schema"]["fields"][0].update(type=5),
        lambda e: e["run"]["facets"]["errorMessage"].update(message=["boom"]),
        lambda e: e.update(eventTime="2026-12-02T09:30:12"),
        lambda e: e.update(producer="ecoplane"),
        lambda e: e["job"]["facets"]["jobType"].update(_producer="ecoplane 0.1"),
    ],
)
def test_the_spec_check_refuses_what_the_spec_does_not_allow(
    damage: Callable[[dict[str, Any]], Any],
) -> None:
    broken = event("FAIL", "transformer", "compute_revenue", error="boom")
    damage(broken)
    with pytest.raises((SpecViolationError, TypeError, ValueError)):
        check_run_event(broken)


def test_a_run_ends_complete_only_when_it_succeeded() -> None:
    assert ended_event_type(RunState.SUCCEEDED) == "COMPLETE"
    ended = [RunState.FAILED, RunState.TIMED_OUT, RunState.CANCELLED, RunState.LOST]
    assert {ended_event_type(state) for state in ended} == {"FAIL"}
    with pytest.raises(ValueError, match="'running' has not ended"):
        ended_event_type(RunState.RUNNING)
