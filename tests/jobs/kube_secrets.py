"""The Secrets of the Kubernetes TEST DOUBLE: get, create, replace and delete, as the API does.

A faithful subset: `data` is base64 (`stringData` is folded into it on writes and never
returned), create answers 409 AlreadyExists, get/replace/delete answer 404 NotFound, a replace
or a delete with a resourceVersion (or a precondition) that is no longer current answers 409
Conflict, names and keys are validated (422). There is no list or watch: ecoplane's Roles do
not grant them. `admission`, when set, judges every write as an admission policy would (403).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from app.ecosystem.names import CREDENTIALS_INDEX as INDEX
from app.ecosystem.names import credentials_secret

MANAGED_BY = "app.kubernetes.io/managed-by"

NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
KEY = re.compile(r"[-._a-zA-Z0-9]+")
Admission = Callable[[str, dict[str, Any]], bool]  # (CREATE | UPDATE | DELETE, the Secret)


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure" if code >= 400 else "Success",
            "code": code, "reason": reason, "message": message}  # fmt: skip
    return web.json_response(body, status=code)


def _invalid(secret: dict[str, Any]) -> str | None:
    """Why the API server would refuse this Secret (422), or None."""
    name = secret.get("metadata", {}).get("name") or ""
    if len(name) > 253 or not NAME.fullmatch(name):
        return f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 subdomain"
    for key, value in (secret.get("data") or {}).items():
        if not KEY.fullmatch(key):
            return f"data[{key}]: Invalid value: {key!r}: a valid config key must consist of ..."
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError):
            return f"data[{key}]: Invalid value: illegal base64 data"
    return None


class SecretsApi:
    """Routes and state of Secrets; mixed into the double (which declares the fields)."""

    secrets: dict[str, dict[str, Any]]
    admission: Admission | None
    secret_version: int

    async def _fault(self, verb: str) -> web.Response | None:
        raise NotImplementedError

    def add_secret_routes(self, app: web.Application, core: str) -> None:
        """Serve get, create, replace and delete of Secrets."""
        app.router.add_post(f"{core}/secrets", self._create_secret)
        app.router.add_get(f"{core}/secrets/{{name}}", self._get_secret)
        app.router.add_put(f"{core}/secrets/{{name}}", self._replace_secret)
        app.router.add_delete(f"{core}/secrets/{{name}}", self._delete_secret)

    def put_secret(
        self, name: str, values: dict[str, str], labels: dict[str, str] | None = None
    ) -> None:
        """A Secret as a person would write it with kubectl (no admission of ecoplane's)."""
        metadata: dict[str, Any] = {"name": name}
        if labels:
            metadata["labels"] = labels
        self._store({"metadata": metadata, "stringData": values}, "ecoplane")

    def put_credentials(self, transformers: list[str], *, index: bool = True) -> dict[str, str]:
        """Credentials Secrets of these transformers as the Kubernetes secret store writes them
        (labels, annotation, libpq keys), listed in its index unless `index` is False; returns
        each transformer's password (random: found in no Job body)."""
        passwords = {}
        for transformer in transformers:
            passwords[transformer] = f"pw-{uuid.uuid4().hex}"
            values = {"PGUSER": f"dt_{transformer.lower()}", "PGPASSWORD": passwords[transformer],
                      "PGHOST": "warehouse", "PGPORT": "5432", "PGDATABASE": "warehouse"}  # fmt: skip
            name = credentials_secret(transformer)
            self.put_secret(name, values, {MANAGED_BY: "ecoplane"})
            self.secrets[name]["metadata"]["annotations"] = {"ecoplane.io/transformer": transformer}
        if index:
            listed = (
                set(json.loads(self.secret_values(INDEX).get("transformers", "[]")))
                if (INDEX in self.secrets)
                else set()
            )
            self.put_secret(INDEX, {"transformers": json.dumps(sorted(listed | set(transformers)))},
                            {MANAGED_BY: "ecoplane"})  # fmt: skip
        return passwords

    def secret_values(self, name: str) -> dict[str, str]:
        """A Secret's data, decoded."""
        data = self.secrets[name].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def _store(self, secret: dict[str, Any], namespace: str) -> dict[str, Any]:
        """Fold stringData into data, stamp the metadata, keep it; what the server answers."""
        data = dict(secret.get("data") or {})
        for key, value in (secret.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        secret.update(apiVersion="v1", kind="Secret", data=data)
        secret.setdefault("type", "Opaque")
        meta = secret["metadata"]
        old = self.secrets.get(meta["name"], {}).get("metadata", {})
        self.secret_version += 1
        meta.update(
            namespace=namespace,
            uid=old.get("uid", f"uid-secret-{meta['name']}-{self.secret_version}"),
            creationTimestamp=old.get(
                "creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            ),
            resourceVersion=f"s{self.secret_version}",
        )
        self.secrets[meta["name"]] = secret
        answer: dict[str, Any] = json.loads(json.dumps(secret))
        return answer

    def _refused(self, operation: str, secret: dict[str, Any]) -> web.Response | None:
        if self.admission is not None and not self.admission(operation, secret):
            return _status(403, "Forbidden", "admission webhook denied the request")
        return None

    async def _get_secret(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("get-secret")) is not None:
            return fault
        name = request.match_info["name"]
        if name not in self.secrets:
            return _status(404, "NotFound", f'secrets "{name}" not found')
        return web.json_response(self.secrets[name])

    async def _create_secret(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("create-secret")) is not None:
            return fault
        secret = await request.json()
        if (why := _invalid(secret)) is not None:
            return _status(422, "Invalid", why)
        name = secret["metadata"]["name"]
        if name in self.secrets:
            return _status(409, "AlreadyExists", f'secrets "{name}" already exists')
        if (refused := self._refused("CREATE", secret)) is not None:
            return refused
        secret["metadata"].pop("resourceVersion", None)
        return web.json_response(self._store(secret, request.match_info["ns"]), status=201)

    async def _replace_secret(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("replace-secret")) is not None:
            return fault
        name, secret = request.match_info["name"], await request.json()
        if secret.get("metadata", {}).get("name") != name:
            return _status(400, "BadRequest", "the name of the object does not match the URL")
        if (why := _invalid(secret)) is not None:
            return _status(422, "Invalid", why)
        if name not in self.secrets:
            return _status(404, "NotFound", f'secrets "{name}" not found')
        version = secret["metadata"].get("resourceVersion")
        if version and version != self.secrets[name]["metadata"]["resourceVersion"]:
            return _status(409, "Conflict", f'Operation cannot be fulfilled on secrets "{name}"')
        if (refused := self._refused("UPDATE", secret)) is not None:
            return refused
        return web.json_response(self._store(secret, request.match_info["ns"]))

    async def _delete_secret(self, request: web.Request) -> web.Response:
        if (fault := await self._fault("delete-secret")) is not None:
            return fault
        name = request.match_info["name"]
        options = await request.json() if request.can_read_body else {}
        found = self.secrets.get(name)
        if found is None:
            return _status(404, "NotFound", f'secrets "{name}" not found')
        wanted = (options or {}).get("preconditions") or {}
        meta = found["metadata"]
        if any(wanted.get(k) not in (None, meta[k]) for k in ("resourceVersion", "uid")):
            return _status(409, "Conflict", f'Operation cannot be fulfilled on secrets "{name}"')
        if (refused := self._refused("DELETE", found)) is not None:
            return refused
        del self.secrets[name]
        body = {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200,
                "details": {"name": name, "kind": "secrets", "uid": meta["uid"]}}  # fmt: skip
        return web.json_response(body)
