"""Source logins in AWS Secrets Manager: `<prefix>/sources/<credential>`, one JSON value
`{"user": ..., "password": ...}`, tagged as ecoplane's with the credential and the user (so a
listing reads names and tags only, never a value)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from app.security.secrets.aws import MANAGED_TAG, SET_AT_TAG, AwsSecretStore
from app.security.secrets.source_logins import (
    SourceLogin,
    SourceLoginTakenError,
    StoredLogin,
    now,
    parsed_login,
    parsed_time,
)

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CREDENTIAL_TAG = "ecoplane:source-credential"
USER_TAG = "ecoplane:source-user"
NOT_FOUND = "ResourceNotFoundException"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class AwsSourceLogins:
    """Source logins in Secrets Manager, every call in a thread (errors as SecretStoreError)."""

    store = "aws"

    def __init__(self, client: SecretsManagerClient, prefix: str) -> None:
        self.client = client
        self.prefix = prefix.rstrip("/")
        self.calls = AwsSecretStore(client, prefix)  # its error handling and threads

    def secret(self, credential: str) -> str:
        """The secret's name."""
        return f"{self.prefix}/sources/{credential}"

    async def put(self, login: SourceLogin) -> None:
        """Create the tagged secret, or put a new value into ecoplane's own."""
        await self.calls._call("store a source login", lambda: self._put(login))

    def _put(self, login: SourceLogin) -> None:
        name = self.secret(login.credential)
        value = json.dumps(login.variables())
        tags = [
            {"Key": MANAGED_TAG, "Value": "true"},
            {"Key": CREDENTIAL_TAG, "Value": login.credential},
            {"Key": USER_TAG, "Value": login.user},
            {"Key": SET_AT_TAG, "Value": now()},
        ]
        try:
            found = self.client.describe_secret(SecretId=name)
        except ClientError as error:
            if _code(error) != NOT_FOUND:
                raise
            self.client.create_secret(
                Name=name,
                Description=f"source login of credential {login.credential} (ecoplane)",
                SecretString=value,
                Tags=tags,  # type: ignore[arg-type]
            )
            return
        owner = {t["Key"]: t["Value"] for t in found.get("Tags", [])}
        if owner.get(MANAGED_TAG) != "true" or owner.get(CREDENTIAL_TAG) != login.credential:
            raise SourceLoginTakenError(
                f"secret {name} exists without ecoplane's tags {MANAGED_TAG} and"
                f" {CREDENTIAL_TAG}={login.credential}: ecoplane leaves it alone"
            )
        self.client.put_secret_value(SecretId=name, SecretString=value)
        self.client.tag_resource(SecretId=name, Tags=tags)  # type: ignore[arg-type]

    async def get(self, credential: str) -> SourceLogin | None:
        """The AWSCURRENT value of the credential's secret."""

        def read() -> SourceLogin | None:
            try:
                found = self.client.get_secret_value(SecretId=self.secret(credential))
            except ClientError as error:
                if _code(error) == NOT_FOUND:
                    return None
                raise
            try:
                document: dict[str, Any] = json.loads(found["SecretString"])
            except (KeyError, ValueError):
                return None
            return parsed_login(credential, {"credential": credential, **document})

        return await self.calls._call("read a source login", read)

    async def logins(self) -> list[StoredLogin]:
        """Every tagged secret under `<prefix>/sources/`, from ListSecrets alone."""
        return await self.calls._call("list the source logins", self._logins)

    def _logins(self) -> list[StoredLogin]:
        found: list[StoredLogin] = []
        pages = self.client.get_paginator("list_secrets").paginate(
            Filters=[
                {"Key": "name", "Values": [f"{self.prefix}/sources/"]},
                {"Key": "tag-key", "Values": [CREDENTIAL_TAG]},
            ]
        )
        for page in pages:
            for secret in page.get("SecretList", []):
                tags = {t["Key"]: t["Value"] for t in secret.get("Tags", [])}
                if tags.get(MANAGED_TAG) == "true" and CREDENTIAL_TAG in tags:
                    found.append(StoredLogin(tags[CREDENTIAL_TAG], tags.get(USER_TAG, ""),
                                             secret["Name"], parsed_time(tags.get(SET_AT_TAG))))  # fmt: skip
        return sorted(found, key=lambda s: s.credential)

    async def delete(self, credential: str) -> bool:
        """Delete ecoplane's secret of the credential at once (no recovery window)."""

        def delete() -> bool:
            name = self.secret(credential)
            try:
                found = self.client.describe_secret(SecretId=name)
            except ClientError as error:
                if _code(error) == NOT_FOUND:
                    return False
                raise
            tags = {t["Key"]: t["Value"] for t in found.get("Tags", [])}
            if tags.get(MANAGED_TAG) != "true" or tags.get(CREDENTIAL_TAG) != credential:
                raise SourceLoginTakenError(f"secret {name} is not ecoplane's: left alone")
            self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            return True

        return await self.calls._call("delete a source login", delete)

    async def close(self) -> None:
        """Nothing to release."""
