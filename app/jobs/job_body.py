"""A `JobSpec` as the `batch/v1` Job the Kubernetes runner creates (pure: plain dicts)."""

from __future__ import annotations

from typing import Any

from app.jobs.log_tail import KEEPER
from app.jobs.spec import CONTAINER, RUN_USER, JobSpec


def _env_list(spec: JobSpec) -> list[dict[str, Any]]:
    literal = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
    secret = [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
        for k, ref in sorted(spec.secret_env.items())
    ]
    return literal + secret


def _resources(spec: JobSpec) -> dict[str, Any]:
    requests = {k: v for k, v in (("cpu", spec.cpu), ("memory", spec.memory)) if v}
    limits = {"memory": spec.memory} if spec.memory else {}
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def kept_command(spec: JobSpec, tail_lines: int) -> list[str]:
    """A worker of the jobs image runs under the log tail's keeper (app/jobs/log_tail.py), which
    masks its secret variables' values and leaves its last lines in the termination message; a
    container transformer's own image runs its own command."""
    if spec.module is None:
        return list(spec.command)
    secret = ",".join(sorted(spec.secret_env))  # which of them to mask: the keeper's rule
    return ["python", "-m", KEEPER, str(tail_lines), "--mask", secret, "--", *spec.command]


def job_body(spec: JobSpec, namespace: str, ttl_seconds: int, tail_lines: int) -> dict[str, Any]:
    """The `batch/v1` Job of a spec, as the plain dict the API takes (5x cheaper than models);
    a worker's last `tail_lines` lines come back in its termination message."""
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": spec.image,
        "command": kept_command(spec, tail_lines),
        "env": _env_list(spec),
        "resources": _resources(spec),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # the one writable place
    }
    if spec.config_map:
        container["envFrom"] = [{"configMapRef": {"name": spec.config_map, "optional": True}}]
    pod = {
        "restartPolicy": "Never",
        "serviceAccountName": spec.service_account,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_USER,
            "runAsGroup": RUN_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": spec.name,
            "namespace": namespace,
            "labels": spec.labels,
            "annotations": {"ecoplane.io/target": spec.target},
        },
        "spec": {
            "backoffLimit": spec.retries,
            "activeDeadlineSeconds": spec.timeout_seconds,
            "ttlSecondsAfterFinished": ttl_seconds,
            "template": {"metadata": {"labels": spec.labels}, "spec": pod},
        },
    }
