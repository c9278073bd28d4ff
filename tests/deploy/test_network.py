"""NetworkPolicies: Jobs reach the database, the API and DNS only; the API serves and calls out
over HTTPS; the migration talks to Postgres alone."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import find
from tests.deploy.kustomize import Obj, copy_of
from tests.deploy.netpol import Peer, may_accept, may_connect

JOB = {"app.kubernetes.io/managed-by": "ecoplane", "ecoplane.io/run-id": "7"}
TRANSFORMER = {**JOB, "ecoplane.io/kind": "transformer", "ecoplane.io/target": "compute_exposures"}
SECURITY_SYNC = {**JOB, "ecoplane.io/kind": "security-sync", "ecoplane.io/target": "security-sync"}
API = {"app.kubernetes.io/name": "ecoplane", "app.kubernetes.io/component": "api"}
MIGRATION = {"app.kubernetes.io/name": "ecoplane", "app.kubernetes.io/component": "migration"}
POSTGRES = Peer(
    pod_labels={"app.kubernetes.io/name": "ecoplane", "app.kubernetes.io/component": "postgres"}
)
DNS = Peer(pod_labels={"k8s-app": "kube-dns"}, namespace="kube-system")
RDS = Peer(ip="10.0.12.34")
INTERNET = Peer(ip="203.0.113.9")
KUBERNETES_API = Peer(ip="10.96.0.1")
OTHER_POD = Peer(pod_labels={"app": "payroll"}, namespace="payroll")

DATABASE = {"local": POSTGRES, "aws": RDS}


@pytest.mark.parametrize("overlay", ["local", "aws"])
@pytest.mark.parametrize("job", [TRANSFORMER, SECURITY_SYNC])
def test_jobs_reach_the_database_the_api_and_dns(
    rendered: dict[str, list[Obj]], overlay: str, job: dict[str, str]
) -> None:
    objects = rendered[overlay]
    assert may_connect(objects, job, DATABASE[overlay], 5432)
    assert may_connect(objects, job, Peer(pod_labels=API), 8000)
    assert may_connect(objects, job, DNS, 53, "UDP")


@pytest.mark.parametrize("overlay", ["local", "aws"])
def test_transformers_reach_nothing_else(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    assert not may_connect(objects, TRANSFORMER, INTERNET, 443)
    assert not may_connect(objects, TRANSFORMER, KUBERNETES_API, 443)
    assert not may_connect(objects, TRANSFORMER, OTHER_POD, 8080)
    assert not may_connect(objects, TRANSFORMER, Peer(pod_labels=API), 5432)
    assert not may_connect(objects, TRANSFORMER, Peer(ip="198.51.100.7"), 5432)
    assert not may_connect(objects, TRANSFORMER, DNS, 8080)


def test_the_security_sync_also_reaches_https(rendered: dict[str, list[Obj]]) -> None:
    # the Kubernetes API (Secrets) or Secrets Manager and STS
    assert may_connect(rendered["aws"], SECURITY_SYNC, INTERNET, 443)
    assert may_connect(rendered["local"], SECURITY_SYNC, KUBERNETES_API, 443)
    assert not may_connect(rendered["aws"], SECURITY_SYNC, INTERNET, 80)


@pytest.mark.parametrize("overlay", ["local", "aws"])
def test_the_api_serves_and_calls_out(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    assert may_accept(
        objects, API, Peer(pod_labels={"app": "ingress-nginx"}, namespace="ingress"), 8000
    )
    assert may_accept(objects, API, INTERNET, 8000)  # webhooks, through a load balancer
    assert not may_accept(objects, API, INTERNET, 9000)
    assert may_connect(objects, API, DATABASE[overlay], 5432)
    assert may_connect(objects, API, KUBERNETES_API, 443)
    assert not may_connect(objects, API, INTERNET, 22)


@pytest.mark.parametrize("overlay", ["local", "aws"])
def test_the_migration_talks_to_postgres_alone(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    assert may_connect(objects, MIGRATION, DATABASE[overlay], 5432)
    assert not may_connect(objects, MIGRATION, INTERNET, 443)
    assert not may_connect(objects, MIGRATION, Peer(pod_labels=API), 8000)


def test_the_local_postgres_accepts_only_this_namespace(rendered: dict[str, list[Obj]]) -> None:
    objects = rendered["local"]
    postgres = POSTGRES.pod_labels or {}
    assert may_accept(objects, postgres, Peer(pod_labels=TRANSFORMER), 5432)
    assert not may_accept(objects, postgres, OTHER_POD, 5432)
    assert not may_accept(objects, postgres, Peer(pod_labels=TRANSFORMER), 22)


def test_without_the_policies_a_job_would_reach_the_internet(
    rendered: dict[str, list[Obj]],
) -> None:
    objects = [
        o
        for o in copy_of(rendered["local"])
        if o["kind"] != "NetworkPolicy" or o["metadata"]["name"] == "ecoplane-api"
    ]
    assert may_connect(objects, TRANSFORMER, INTERNET, 443)
    find(objects, "NetworkPolicy", "ecoplane-api")  # the API keeps its own policy
