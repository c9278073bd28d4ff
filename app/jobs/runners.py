"""The runner the settings choose: local child processes or Kubernetes Jobs."""

from __future__ import annotations

from app.errors import InvalidParameterError
from app.jobs.local import LocalRunner
from app.jobs.runner import Runner
from app.settings import Settings


def build_runner(settings: Settings) -> Runner:
    """`ECOPLANE_RUNNER`: local (the embedded default) or kubernetes."""
    if settings.runner == "kubernetes":
        raise InvalidParameterError("ECOPLANE_RUNNER", "the kubernetes runner is not built yet")
    return LocalRunner(settings)
