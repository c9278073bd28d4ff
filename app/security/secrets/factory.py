"""The secret store the settings choose."""

from __future__ import annotations

from app.errors import AppError
from app.security.secrets.aws import AwsSecretStore, secrets_manager
from app.security.secrets.base import SecretStore
from app.security.secrets.local import LocalSecretStore
from app.settings import Settings


class SecretStoreUnavailableError(AppError):
    """The configured secret store cannot be used yet."""

    status = 503
    type = "secret-store-unavailable"


def secret_store(settings: Settings) -> SecretStore:
    """Local files, AWS Secrets Manager, or (not yet) Kubernetes Secrets."""
    if settings.secret_store == "aws":
        client = secrets_manager(settings.aws_region, settings.aws_endpoint_url)
        return AwsSecretStore(client, settings.secret_prefix)
    if settings.secret_store == "kubernetes":
        raise SecretStoreUnavailableError(
            "the Kubernetes secret store is not implemented yet; use local or aws"
        )
    return LocalSecretStore(settings.data_dir / "secrets" / "transformers")
