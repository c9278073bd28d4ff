"""The runner the settings choose: local child processes or Kubernetes Jobs."""

from __future__ import annotations

from app.jobs.runners.base import Runner
from app.jobs.runners.credentials import RunSecrets
from app.jobs.runners.local import LocalRunner
from app.settings import Settings


def build_runner(settings: Settings, database_url: str | None, secrets: RunSecrets) -> Runner:
    """`ECOPLANE_RUNNER`: local (the embedded default) or kubernetes; `database_url` is the
    control-plane database the service uses (the embedded server's when it runs one);
    `secrets` gives local runs their credentials (app.security's `run_secrets`). Kubernetes runs read theirs from Secrets, by reference."""
    if settings.runner == "kubernetes":
        from app.jobs.runners.kubernetes import KubernetesRunner  # the client loads only when used

        return KubernetesRunner(settings)
    return LocalRunner(settings, secrets=secrets, database_url=database_url)
