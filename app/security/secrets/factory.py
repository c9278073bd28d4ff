"""The secret store the settings choose, and its source logins.

The AWS and Kubernetes stores are imported only when chosen: boto3 and kubernetes_asyncio
cost a process ~90 MB and ~0.7 s of CPU, which the local store (the embedded default) never
needs (tests/security/test_lazy_imports.py holds it so)."""

from __future__ import annotations

from app.security.secrets.base import SecretStore, SecretStoreError
from app.security.secrets.local import LocalSecretStore
from app.security.secrets.source_logins import LocalSourceLogins, SourceLogins
from app.settings import Settings


def secret_store(settings: Settings) -> SecretStore:
    """Local files, AWS Secrets Manager, or Kubernetes Secrets in the jobs' namespace."""
    if settings.secret_store == "aws":
        from app.security.secrets.aws import AwsSecretStore, secrets_manager

        client = secrets_manager(settings.aws_region, settings.aws_endpoint_url)
        return AwsSecretStore(client, settings.secret_prefix)
    if settings.secret_store == "kubernetes":
        from app.security.secrets.kubernetes import KubernetesSecretStore

        return KubernetesSecretStore(
            settings.jobs_namespace, settings.kubeconfig, settings.kubernetes_timeout_seconds
        )
    return LocalSecretStore(settings.data_dir / "secrets" / "transformers")


def source_logins(settings: Settings) -> SourceLogins:
    """The source logins of the store `ECOPLANE_SECRET_STORE` names (`ecoplane credential`)."""
    if settings.secret_store == "aws":
        from botocore.exceptions import BotoCoreError

        from app.security.secrets.aws import secrets_manager
        from app.security.secrets.source_aws import AwsSourceLogins

        try:
            client = secrets_manager(settings.aws_region, settings.aws_endpoint_url)
        except BotoCoreError as error:  # e.g. no region: a message, not a traceback
            raise SecretStoreError(f"cannot reach Secrets Manager: {error}") from None
        return AwsSourceLogins(client, settings.secret_prefix)
    if settings.secret_store == "kubernetes":
        from app.security.secrets.source_kube import KubernetesSourceLogins

        return KubernetesSourceLogins(
            settings.jobs_namespace, settings.kubeconfig, settings.kubernetes_timeout_seconds
        )
    return LocalSourceLogins(settings.data_dir / "secrets")
