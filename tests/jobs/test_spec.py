"""Job specs as data: names, labels, the environment contract, and Job bodies that validate."""

from __future__ import annotations

import re

import kubernetes_validate
import pytest

from app.ecosystem.names import credentials_secret
from app.jobs.job_body import job_body
from app.jobs.spec import (
    SecretRef,
    TransformerCode,
    job_name,
    label_value,
    security_sync_job,
    transformer_job,
)
from app.settings import Settings
from tests.jobs.kube_double import K8S_VERSION

SETTINGS = Settings(database_url="postgresql://unused", jobs_image="ghcr.io/acme/ecoplane:1.0")
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
CONTAINER = TransformerCode(
    name="MaskCustomers",
    workspace="CustomerAnalytics",
    code_kind="container",
    image="ghcr.io/acme/mask:1.2",
    command=("python", "-m", "mask"),
    args=("--fast",),
    env={"MODE": "strict", "ECOPLANE_RUN_ID": "overridden?"},
    cpu="500m",
    memory="512Mi",
    timeout_seconds=7200,
    retries=2,
)


@pytest.mark.parametrize(
    ("kind", "target", "run_id"),
    [
        ("transformer", "MaskCustomers", 7),
        ("transformer", "A" * 63, 123456789012),
        ("externalize-model", "externalize_model", 1),
        ("transformer", "x__y_", 5),
    ],
)
def test_job_names_are_dns_labels_of_at_most_63(kind: str, target: str, run_id: int) -> None:
    name = job_name(kind, target, run_id)
    assert len(name) <= 63 and DNS_LABEL.fullmatch(name)
    assert name.startswith(f"ecoplane-{kind}-") and name.endswith(f"-{run_id}")


def test_label_values_are_kept_when_allowed_and_hashed_when_not() -> None:
    assert label_value("MaskCustomers") == "MaskCustomers"
    odd = label_value("ends_with_")
    assert odd != "ends_with_" and re.fullmatch(r"[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]", odd)
    assert label_value("ends_with_") == odd  # stable


def test_a_container_transformer_spec() -> None:
    spec = transformer_job(CONTAINER, 42, SETTINGS)
    assert spec.image == "ghcr.io/acme/mask:1.2"
    assert spec.command == ("python", "-m", "mask", "--fast") and spec.module is None
    assert spec.env == {
        "MODE": "strict",
        "ECOPLANE_RUN_ID": "42",  # the contract wins over the model's variables
        "ECOPLANE_TRANSFORMER": "MaskCustomers",
        "ECOPLANE_WORKSPACE": "CustomerAnalytics",
        "ECOPLANE_INPUT_SCHEMA": "ws_customeranalytics",
        "ECOPLANE_OUTPUT_SCHEMA": "out_maskcustomers",
    }
    assert {k: (r.secret, r.key) for k, r in spec.secret_env.items()} == {
        key: ("ecoplane-dt-maskcustomers", key)
        for key in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
    }
    assert (spec.timeout_seconds, spec.retries, spec.service_account) == (
        7200,
        2,
        "ecoplane-transformer",
    )


def test_python_and_builtin_code_run_on_the_service_image() -> None:
    python = TransformerCode(name="t", workspace="W", code_kind="python", module="acme.t")
    spec = transformer_job(python, 1, SETTINGS)
    assert (spec.image, spec.command, spec.module) == (
        "ghcr.io/acme/ecoplane:1.0",
        ("python", "-m", "workers.python_transformer", "acme.t"),  # the harness runs the module
        "acme.t",
    )
    assert "ECOPLANE_MODEL_DATABASE_URL" not in spec.secret_env
    builtin = TransformerCode(
        name="externalize_model",
        workspace="W",
        code_kind="builtin",
        builtin_code="externalize-model",
    )
    spec = transformer_job(builtin, 2, SETTINGS)
    assert spec.kind == "externalize-model" and spec.module == "workers.externalize_model"
    assert spec.command == ("python", "-m", "workers.externalize_model")
    assert spec.secret_env["ECOPLANE_MODEL_DATABASE_URL"] == SecretRef(
        "ecoplane-dashboard", "database-url"
    )  # it reads the model as the read-only dashboard role, and writes with its own PG* role
    assert spec.secret_env["PGUSER"] == SecretRef("ecoplane-dt-externalize-model", "PGUSER")
    assert spec.name == "ecoplane-externalize-model-externalize-model-2"


def test_long_names_keep_the_physical_name_rule() -> None:
    code = TransformerCode(name="t" * 63, workspace="w" * 63, code_kind="python", module="m")
    env = transformer_job(code, 1, SETTINGS).env
    for key in ("ECOPLANE_INPUT_SCHEMA", "ECOPLANE_OUTPUT_SCHEMA"):
        assert len(env[key]) == 63 and re.fullmatch(r"[a-z_]+_[0-9a-f]{8}", env[key])


def test_job_bodies_validate_and_hold_only_secret_references() -> None:
    for spec in (transformer_job(CONTAINER, 42, SETTINGS), security_sync_job(43, SETTINGS)):
        body = job_body(spec, "data-jobs", 3600, 50)
        kubernetes_validate.validate(body, K8S_VERSION, strict=True)
        pod = body["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        for variable in container["env"]:
            if variable["name"].startswith("PG") or variable["name"].endswith("_URL"):
                assert set(variable) == {"name", "valueFrom"}, variable
        assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert body["metadata"]["namespace"] == "data-jobs"
        assert body["spec"]["ttlSecondsAfterFinished"] == 3600
        assert body["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ecoplane"
    body = job_body(transformer_job(CONTAINER, 42, SETTINGS), "ns", 60, 50)
    assert body["spec"]["backoffLimit"] == 2 and body["spec"]["activeDeadlineSeconds"] == 7200
    resources = body["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"memory": "512Mi"},
    }
    security = job_body(security_sync_job(43, SETTINGS), "ns", 60, 50)["spec"]["template"]["spec"]
    assert security["serviceAccountName"] == "ecoplane-security-sync"


def test_the_credentials_secret_is_dns_safe() -> None:
    assert credentials_secret("Mask_Customers") == "ecoplane-dt-mask-customers"


def test_a_worker_of_the_jobs_image_runs_under_the_log_tail_keeper() -> None:
    python = TransformerCode("Export", "W", "python", module="acme.export")
    (container,) = job_body(transformer_job(python, 9, SETTINGS), "ns", 60, 30)["spec"]["template"][
        "spec"
    ]["containers"]
    assert container["command"] == [
        "python", "-m", "workers.log_tail", "30",
        "--mask", "PGDATABASE,PGHOST,PGPASSWORD,PGPORT,PGUSER", "--",
        "python", "-m", "workers.python_transformer", "acme.export",
    ]  # fmt: skip
    sync = job_body(security_sync_job(10, SETTINGS), "ns", 60, 50)["spec"]["template"]["spec"]
    assert sync["containers"][0]["command"][:6] == [
        "python", "-m", "workers.log_tail", "50",
        "--mask", "ECOPLANE_DATABASE_URL,ECOPLANE_WAREHOUSE_URL",
    ]  # fmt: skip
    own = job_body(transformer_job(CONTAINER, 11, SETTINGS), "ns", 60, 50)["spec"]["template"]
    # a container transformer's image need not hold the keeper: its own command runs
    assert own["spec"]["containers"][0]["command"] == ["python", "-m", "mask", "--fast"]
