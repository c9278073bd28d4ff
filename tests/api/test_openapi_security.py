"""The OpenAPI document declares the bearer scheme, and each operation its security and the
scope it needs; reads show optional security only when anonymous callers may read."""

from __future__ import annotations

from typing import Any

from app.main import create_app
from app.settings import Settings


def _document(**settings: Any) -> dict[str, Any]:
    return create_app(Settings(database_url="postgresql://unused/db", **settings)).openapi()


def _operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def test_every_operation_declares_its_security_and_scope() -> None:
    document = _document(anonymous_read=False)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    scopes = {
        ("/api/v1/model-versions/{version_id}/activate", "post"): "admin",
        ("/api/v1/tokens", "post"): "admin",
        ("/api/v1/tokens", "get"): "admin",
        ("/api/v1/tokens/{name}", "delete"): "admin",
        ("/api/v1/transformers/{name}/runs", "post"): "operate",
        ("/api/v1/datastores/{name}/ingestions", "post"): "operate",
        ("/api/v1/ecosystem", "get"): "read",
        ("/api/v1/runs", "get"): "read",
        ("/metrics", "get"): "read",
    }
    for (path, method), scope in scopes.items():
        operation = _operation(document, path, method)
        assert operation["x-ecoplane-scope"] == scope, path
        assert operation["security"] == [{"bearer": []}], path
        assert f"Needs a token with the `{scope}` scope" in operation["description"], path
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "security" in operation, (method, path)
            if path.startswith("/api/v1/") and "webhooks" not in path:
                assert operation["x-ecoplane-scope"] in ("read", "operate", "admin"), path
    assert _operation(document, "/healthz", "get")["security"] == []
    assert _operation(document, "/api/v1/webhooks/github", "post")["security"] == []


def test_reads_show_optional_security_when_they_are_open() -> None:
    document = _document(anonymous_read=True, metrics_open=False)
    read = _operation(document, "/api/v1/ecosystem", "get")
    assert read["security"] == [{"bearer": []}, {}]
    assert "anonymous callers may read" in read["description"]
    assert _operation(document, "/metrics", "get")["security"] == [{"bearer": []}]
    operate = _operation(document, "/api/v1/transformers/{name}/runs", "post")
    assert operate["security"] == [{"bearer": []}]
