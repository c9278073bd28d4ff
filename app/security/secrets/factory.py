"""The secret store the settings choose."""

from __future__ import annotations

from app.security.secrets.aws import AwsSecretStore, secrets_manager
from app.security.secrets.base import SecretStore
from app.security.secrets.kubernetes import KubernetesSecretStore
from app.security.secrets.local import LocalSecretStore
from app.settings import Settings


def secret_store(settings: Settings) -> SecretStore:
    """Local files, AWS Secrets Manager, or Kubernetes Secrets in the jobs' namespace."""
    if settings.secret_store == "aws":
        client = secrets_manager(settings.aws_region, settings.aws_endpoint_url)
        return AwsSecretStore(client, settings.secret_prefix)
    if settings.secret_store == "kubernetes":
        return KubernetesSecretStore(
            settings.jobs_namespace, settings.kubeconfig, settings.kubernetes_timeout_seconds
        )
    return LocalSecretStore(settings.data_dir / "secrets" / "transformers")
