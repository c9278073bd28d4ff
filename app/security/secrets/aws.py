"""AWS Secrets Manager: `<prefix>/transformers/<name>/credentials`, rotated with staging labels.

A new password is put as AWSPENDING before the role gets it; once the role's change commits,
AWSCURRENT moves to it and AWSPENDING is removed. A sync that finds an AWSPENDING version
(a crash between the steps) finishes the change with that same password.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.security.secrets.base import Credentials, SecretInfo, SecretStoreError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

MANAGED_TAG = "ecoplane:managed"
TRANSFORMER_TAG = "ecoplane:transformer"
SET_AT_TAG = "ecoplane:password-set"
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
T = TypeVar("T")


def secrets_manager(region: str | None, endpoint_url: str | None) -> SecretsManagerClient:
    """A Secrets Manager client (credentials from the environment, e.g. IRSA)."""
    retries = Config(retries={"mode": "adaptive", "max_attempts": 10})  # a first sync is bursty
    return boto3.session.Session().client(
        "secretsmanager", region_name=region, endpoint_url=endpoint_url, config=retries
    )


class AwsSecretStore:
    """Transformer credentials in AWS Secrets Manager, every call in a thread."""

    def __init__(self, client: SecretsManagerClient, prefix: str) -> None:
        self.client = client
        self.prefix = prefix.rstrip("/")

    def secret_id(self, transformer: str) -> str:
        """The secret's name."""
        return f"{self.prefix}/transformers/{transformer}/credentials"

    async def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(call)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise SecretStoreError(f"Secrets Manager refused to {what}: {code}") from None
        except BotoCoreError as error:
            raise SecretStoreError(
                f"Secrets Manager could not {what}: {type(error).__name__}"
            ) from None

    async def inventory(self) -> dict[str, SecretInfo]:
        """Every managed secret under the prefix, from list_secrets alone (no values read)."""
        return await self._call("list the secrets", self._list)

    def _list(self) -> dict[str, SecretInfo]:
        found: dict[str, SecretInfo] = {}
        pages = self.client.get_paginator("list_secrets").paginate(
            Filters=[
                {"Key": "name", "Values": [f"{self.prefix}/transformers/"]},
                {"Key": "tag-key", "Values": [MANAGED_TAG]},
            ]
        )
        for page in pages:
            for secret in page.get("SecretList", []):
                tags = {t["Key"]: t["Value"] for t in secret.get("Tags", [])}
                if TRANSFORMER_TAG not in tags:
                    continue
                stages = list(secret.get("SecretVersionsToStages", {}).values())
                set_at = tags.get(SET_AT_TAG)
                found[tags[TRANSFORMER_TAG]] = SecretInfo(
                    current=any(CURRENT in s and PENDING not in s for s in stages),
                    # the first version of a secret gets AWSCURRENT too: still pending
                    pending=any(PENDING in s for s in stages),
                    set_at=datetime.fromisoformat(set_at) if set_at else None,
                )
        return found

    async def stage(self, transformer: str, credentials: Credentials) -> None:
        """Put the credentials as AWSPENDING (the secret is created, tagged, when missing)."""
        await self._call("stage new credentials", lambda: self._stage(transformer, credentials))

    def _stage(self, transformer: str, credentials: Credentials) -> None:
        secret_id = self.secret_id(transformer)
        try:
            self.client.describe_secret(SecretId=secret_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            self.client.create_secret(
                Name=secret_id,
                Description=f"database credentials of transformer {transformer} (ecoplane)",
                Tags=[
                    {"Key": MANAGED_TAG, "Value": "true"},
                    {"Key": TRANSFORMER_TAG, "Value": transformer},
                ],
            )
        self.client.put_secret_value(
            SecretId=secret_id,
            ClientRequestToken=str(uuid.uuid4()),
            SecretString=json.dumps(asdict(credentials)),
            VersionStages=[PENDING],
        )

    async def pending(self, transformer: str) -> Credentials | None:
        """The AWSPENDING credentials, if a change was interrupted."""
        return await self._value(transformer, PENDING)

    async def current(self, transformer: str) -> Credentials | None:
        """The AWSCURRENT credentials."""
        return await self._value(transformer, CURRENT)

    async def _value(self, transformer: str, stage: str) -> Credentials | None:
        def read() -> Credentials | None:
            try:
                value = self.client.get_secret_value(
                    SecretId=self.secret_id(transformer), VersionStage=stage
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return None
                raise
            document: dict[str, Any] = json.loads(value["SecretString"])
            return Credentials(**document)

        return await self._call(f"read the {stage} credentials", read)

    async def promote(self, transformer: str) -> None:
        """AWSCURRENT moves to the AWSPENDING version, then AWSPENDING is removed."""
        await self._call("promote the pending credentials", lambda: self._promote(transformer))

    def _promote(self, transformer: str) -> None:
        secret_id = self.secret_id(transformer)
        versions = self.client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
        pending = next((v for v, s in versions.items() if PENDING in s), None)
        current = next((v for v, s in versions.items() if CURRENT in s), None)
        if pending is None:
            return
        if pending != current:
            moved: dict[str, Any] = {"MoveToVersionId": pending}
            if current is not None:
                moved["RemoveFromVersionId"] = current
            self.client.update_secret_version_stage(
                SecretId=secret_id, VersionStage=CURRENT, **moved
            )
        self.client.update_secret_version_stage(
            SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=pending
        )
        self.client.tag_resource(
            SecretId=secret_id,
            Tags=[{"Key": SET_AT_TAG, "Value": datetime.now(UTC).isoformat()}],
        )

    async def delete(self, transformer: str) -> None:
        """Delete the secret at once (no recovery window: the name may be needed again)."""

        def delete() -> None:
            try:
                self.client.delete_secret(
                    SecretId=self.secret_id(transformer), ForceDeleteWithoutRecovery=True
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise

        await self._call("delete a secret", delete)

    async def close(self) -> None:
        """Nothing to release."""
