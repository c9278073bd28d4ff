"""The runner the settings choose: local child processes or Kubernetes Jobs."""

from __future__ import annotations

from app.jobs.local import LocalRunner
from app.jobs.runner import Runner
from app.settings import Settings


def build_runner(settings: Settings, database_url: str | None = None) -> Runner:
    """`ECOPLANE_RUNNER`: local (the embedded default) or kubernetes; `database_url` is the
    control-plane database the service uses (the embedded server's when it runs one)."""
    if settings.runner == "kubernetes":
        from app.jobs.kubernetes import KubernetesRunner  # the client loads only when used

        return KubernetesRunner(settings)
    return LocalRunner(settings, database_url=database_url)
