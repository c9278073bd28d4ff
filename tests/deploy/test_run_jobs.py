"""The Jobs the Kubernetes runner creates at run time fit the deployment: valid for the
schemas, admitted by the namespace's "restricted" Pod Security profile, run by a service
account of the manifests, fenced by the jobs NetworkPolicy, and given only the credentials
Secret the admission policy lets ecoplane write.

The bodies are the runner's own (`app.jobs.spec.job_body`).
"""

from __future__ import annotations

import pytest

from app.jobs.job_body import job_body
from app.jobs.spec import TransformerCode, security_sync_job, transformer_job
from app.settings import Settings
from tests.deploy.admission import admits
from tests.deploy.conftest import OVERLAYS, find
from tests.deploy.hardening import NAMESPACE, container_problems, restricted_problems
from tests.deploy.kube_schema import K8S_VERSIONS, validate
from tests.deploy.kustomize import Obj, containers, copy_of
from tests.deploy.netpol import Peer, may_connect

SETTINGS = Settings(
    database_url="postgresql://unused/x", jobs_image="ghcr.io/ecoplane/ecoplane:0.1.0"
)
CODE = TransformerCode(
    "compute_exposures", "RiskAnalytics", "python", module="acme.exposures", cpu="500m",
    memory="512Mi",
)  # fmt: skip
TRANSFORMER = job_body(transformer_job(CODE, 41, SETTINGS), NAMESPACE, 86400, 50)
SECURITY_SYNC = job_body(security_sync_job(42, SETTINGS), NAMESPACE, 86400, 50)
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


@pytest.mark.parametrize("job", JOBS)
def test_run_jobs_are_hardened_like_the_manifests(job: str) -> None:
    """Everything the manifests' containers must have, but resources the model may leave out
    (the LimitRange gives those)."""
    problems = [
        p for p in container_problems([JOBS[job]]) if "requests." not in p and "limits." not in p
    ]
    assert problems == []
    writable = copy_of([JOBS[job]])[0]
    writable["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "readOnlyRootFilesystem"
    ] = False
    assert any("writable" in p for p in container_problems([writable]))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_security_sync_reads_the_service_configuration_and_transformers_do_not(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    [sync] = containers(SECURITY_SYNC)
    [config] = sync["envFrom"]
    find(rendered[overlay], "ConfigMap", config["configMapRef"]["name"])
    [transformer] = containers(TRANSFORMER)
    assert "envFrom" not in transformer  # nothing but its own contract and credentials
