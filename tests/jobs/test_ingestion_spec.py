"""The Job of a data ingestion run: `python -m workers.ingest DATASTORE`, secrets by reference."""

from __future__ import annotations

import kubernetes_validate

from app.db.run_table import RunKind
from app.jobs.job_body import job_body
from app.jobs.spec import PG_KEYS, ingestion_job
from app.settings import Settings
from tests.jobs.kube_double import K8S_VERSION

SETTINGS = Settings(database_url="postgresql://unused", jobs_image="ghcr.io/acme/ecoplane:1.0")


def test_an_ingestion_job_runs_the_worker_with_secret_references_only() -> None:
    spec = ingestion_job("Customers", "crm_reader", 42, SETTINGS)
    assert (spec.kind, spec.target, spec.name) == (
        RunKind.INGESTION,
        "Customers",
        "ecoplane-ingestion-customers-42",
    )
    body = job_body(spec, "data-jobs", 3600, 50)
    kubernetes_validate.validate(body, K8S_VERSION, strict=True)
    (container,) = body["spec"]["template"]["spec"]["containers"]
    assert container["command"] == [
        "python", "-m", "workers.log_tail", "50",
        "--mask", "ECOPLANE_DATABASE_URL,ECOPLANE_SOURCE_PASSWORD,ECOPLANE_SOURCE_USER,"
        "PGDATABASE,PGHOST,PGPASSWORD,PGPORT,PGUSER",
        "--", "python", "-m", "workers.ingest", "Customers",
    ]  # fmt: skip
    assert container["image"] == "ghcr.io/acme/ecoplane:1.0"
    secrets = {
        v["name"]: v["valueFrom"]["secretKeyRef"] for v in container["env"] if "valueFrom" in v
    }
    own = "ecoplane-di-customers"  # di_customers' login, never the admin's warehouse URL
    assert secrets == {
        "ECOPLANE_DATABASE_URL": {"name": "ecoplane-admin", "key": "database-url"},
        **{key: {"name": own, "key": key} for key in PG_KEYS},
        "ECOPLANE_SOURCE_USER": {"name": "ecoplane-source-crm-reader", "key": "user"},
        "ECOPLANE_SOURCE_PASSWORD": {"name": "ecoplane-source-crm-reader", "key": "password"},
    }
    literal = {v["name"]: v["value"] for v in container["env"] if "value" in v}
    assert literal == {
        "ECOPLANE_RUN_ID": "42",
        "ECOPLANE_DATASTORE": "Customers",
        "ECOPLANE_SOURCE_CREDENTIAL": "crm_reader",  # the name, not a secret: what is refused
    }


def test_an_ingestion_without_a_credential_is_given_no_source_login() -> None:
    spec = ingestion_job("Customers", None, 7, SETTINGS)
    assert not {"ECOPLANE_SOURCE_USER", "ECOPLANE_SOURCE_PASSWORD"} & set(spec.secret_env)
    assert "ECOPLANE_SOURCE_CREDENTIAL" not in spec.env
