"""The Jobs the Kubernetes runner creates at run time fit the deployment: valid for the
schemas, admitted by the namespace's "restricted" Pod Security profile, run by a service
account of the manifests, fenced by the jobs NetworkPolicy, and given only the credentials
Secret the admission policy lets ecoplane write.

`run_job()` mirrors the runner's `job_body` (issue 6, app/jobs/spec.py on its branch) as the
contract of OPERATIONS.md; once both are merged, build the bodies with `job_body` instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.admission import admits
from tests.deploy.conftest import OVERLAYS, find
from tests.deploy.hardening import NAMESPACE, restricted_problems
from tests.deploy.kube_schema import K8S_VERSIONS, validate
from tests.deploy.kustomize import Obj, containers, copy_of
from tests.deploy.netpol import Peer, may_connect

PG_KEYS = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")


def run_job(
    kind: str, target: str, run_id: int, account: str, secret: str, keys: dict[str, str]
) -> Obj:
    """A Job as the runner sends it: name, labels, identity, credentials by reference only."""
    labels = {
        "app.kubernetes.io/managed-by": "ecoplane",
        "ecoplane.io/kind": kind,
        "ecoplane.io/target": target,
        "ecoplane.io/run-id": str(run_id),
    }
    env: list[dict[str, Any]] = [{"name": "ECOPLANE_RUN_ID", "value": str(run_id)}]
    env += [
        {"name": n, "valueFrom": {"secretKeyRef": {"name": secret, "key": k}}}
        for n, k in keys.items()
    ]
    container = {
        "name": "run",
        "image": "ghcr.io/ecoplane/ecoplane:0.1.0",
        "command": ["python", "-m", f"workers.{target.replace('-', '_')}"],
        "env": env,
        "resources": {
            "requests": {"cpu": "500m", "memory": "512Mi"},
            "limits": {"memory": "512Mi"},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    pod = {
        "restartPolicy": "Never",
        "serviceAccountName": account,
        "securityContext": {
            "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
    }  # fmt: skip
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"ecoplane-{kind}-{target}-{run_id}",
            "namespace": NAMESPACE,
            "labels": labels,
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": 3600,
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


TRANSFORMER = run_job(
    "transformer", "compute-exposures", 41, "ecoplane-transformer", "ecoplane-dt-compute-exposures",
    {k: k for k in PG_KEYS},
)  # fmt: skip
SECURITY_SYNC = run_job(
    "security-sync", "security-sync", 42, "ecoplane-security-sync", "ecoplane-admin",
    {"ECOPLANE_DATABASE_URL": "database-url", "ECOPLANE_WAREHOUSE_URL": "warehouse-url"},
)  # fmt: skip
JOBS = {"transformer": TRANSFORMER, "security-sync": SECURITY_SYNC}


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("job", JOBS)
def test_run_jobs_match_the_schema(job: str, version: str) -> None:
    validate(JOBS[job], version)


@pytest.mark.parametrize("job", JOBS)
def test_run_jobs_pass_the_restricted_pod_security_profile(job: str) -> None:
    assert restricted_problems(JOBS[job]) == []
    rooted = copy_of([JOBS[job]])[0]
    rooted["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0
    assert restricted_problems(rooted) == [
        "Job/" + rooted["metadata"]["name"] + " container run: may run as root"
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_manifests_pass_the_restricted_profile_too(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    assert [p for o in rendered[overlay] for p in restricted_problems(o)] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("job", JOBS)
def test_run_jobs_use_the_manifests_identities_and_image(
    rendered: dict[str, list[Obj]], overlay: str, job: str
) -> None:
    objects = rendered[overlay]
    body = JOBS[job]
    pod = body["spec"]["template"]["spec"]
    find(objects, "ServiceAccount", pod["serviceAccountName"])
    config = find(objects, "ConfigMap", "ecoplane-config")["data"]
    assert pod["serviceAccountName"] in (
        config["ECOPLANE_TRANSFORMER_SERVICE_ACCOUNT"],
        config["ECOPLANE_SECURITY_SYNC_SERVICE_ACCOUNT"],
    )
    assert config["ECOPLANE_JOBS_NAMESPACE"] == body["metadata"]["namespace"] == NAMESPACE
    api_pod = find(objects, "Deployment", "ecoplane-api")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == api_pod["securityContext"]["runAsUser"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_run_jobs_are_fenced_by_the_jobs_policy(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    labels = TRANSFORMER["spec"]["template"]["metadata"]["labels"]
    objects = rendered[overlay]
    api = find(objects, "Deployment", "ecoplane-api")["spec"]["template"]["metadata"]["labels"]
    assert may_connect(objects, labels, Peer(pod_labels=api), 8000)
    assert not may_connect(objects, labels, Peer(ip="203.0.113.9"), 443)


def test_transformer_credentials_are_a_secret_ecoplane_may_write(
    rendered: dict[str, list[Obj]],
) -> None:
    policy = find(rendered["local"], "ValidatingAdmissionPolicy", "ecoplane-secret-writes")
    [container] = containers(TRANSFORMER)
    names = {v["valueFrom"]["secretKeyRef"]["name"] for v in container["env"] if "valueFrom" in v}
    assert names == {"ecoplane-dt-compute-exposures"}
    credentials = {
        "metadata": {"name": names.pop(), "labels": {"app.kubernetes.io/managed-by": "ecoplane"}}
    }
    for user in ("ecoplane-api", "ecoplane-security-sync"):
        assert admits(policy, "CREATE", f"system:serviceaccount:{NAMESPACE}:{user}", credentials)


def test_the_limit_range_bounds_a_run_without_declared_resources(
    rendered: dict[str, list[Obj]],
) -> None:
    [limits] = find(rendered["aws"], "LimitRange", "ecoplane-job-defaults")["spec"]["limits"]
    assert limits["type"] == "Container"
    assert set(limits["default"]) == set(limits["defaultRequest"]) == {"cpu", "memory"}
