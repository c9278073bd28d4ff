"""Validation of Kubernetes objects against the official JSON schemas (kubernetes-validate).

Used for the rendered deploy/ overlays and, the same way, for the Job bodies the Kubernetes
runner builds: `validate(job_body(...), K8S_VERSION)`. Strict: unknown fields are errors.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate

# The oldest Kubernetes the manifests support (admissionregistration.k8s.io/v1
# ValidatingAdmissionPolicy is GA from 1.30) and the one the runner's tests use.
K8S_VERSIONS = ("1.30", "1.33")
K8S_VERSION = K8S_VERSIONS[-1]


class SchemaError(AssertionError):
    """An object does not match the schema of its kind."""


def validate(obj: dict[str, Any], version: str = K8S_VERSION) -> None:
    """Raise SchemaError naming the object when it is not valid for that Kubernetes version."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = "/".join(str(part) for part in error.path)
        raise SchemaError(f"{name} (Kubernetes {version}): {path}: {error.message}") from None
    except kubernetes_validate.SchemaNotFoundError as error:
        raise SchemaError(f"{name}: no schema for Kubernetes {version}: {error}") from None
