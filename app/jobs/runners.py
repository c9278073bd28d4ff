"""The runner the settings choose: local child processes or Kubernetes Jobs."""

from __future__ import annotations

from app.jobs.local import LocalRunner
from app.jobs.runner import Runner
from app.settings import Settings


def build_runner(settings: Settings) -> Runner:
    """`ECOPLANE_RUNNER`: local (the embedded default) or kubernetes."""
    if settings.runner == "kubernetes":
        from app.jobs.kubernetes import KubernetesRunner  # the client loads only when used

        return KubernetesRunner(settings)
    return LocalRunner(settings)
