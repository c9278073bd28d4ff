"""Push webhooks of GitHub, GitLab and Gitea: authenticated by signature, answered at once.

A delivery only records an ingest request (the worker does the work), so the host gets its
answer in milliseconds. A delivery id seen before records nothing new.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.deps import Res, pooled
from app.api.schemas.ingest import IngestOut, WebhookOut
from app.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from app.gitsource.queue import queue_ingest
from app.gitsource.webhooks import GITEA, GITHUB, GITLAB, Provider, ignored_because, read_push
from app.gitsource.webhooks import verify as verify_signature

router = APIRouter(tags=["webhooks"])
PUSH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": "the host's push event payload"},
            "example": {
                "ref": "refs/heads/main",
                "after": "9fceb02d0ae598e95dc970b74767f19372d61af8",
                "repository": {"full_name": "acme/data-model"},
            },
        }
    },
}
QUEUED_EXAMPLE: dict[str, Any] = {
    "status": "queued",
    "reason": None,
    "ingest": {
        "id": 9, "trigger": "github", "ref": "main",
        "commitSha": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "deliveryId": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "requestedBy": "alice",
        "state": "queued", "versionId": None, "errors": 0, "warnings": 0, "detail": None,
        "timings": {}, "retryOf": None, "supersededBy": None,
        "createdAt": "2026-11-26T09:30:00Z", "startedAt": None, "finishedAt": None,
    },
}  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a ping, a redelivery, or a push that is not followed (with the reason)"},
    401: {"description": "the signature (or GitLab token) is missing or wrong"},
    413: {"description": "the body is larger than ECOPLANE_WEBHOOK_MAX_BYTES"},
    415: {"description": "a signed delivery that is not application/json"},
    422: {"description": "a signed push event that cannot be read"},
}


async def _body(request: Request, limit: int) -> bytes:
    """The raw body (the signature covers exactly these bytes), at most `limit` of them."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not "³"
        raise PayloadTooLargeError(f"the body has {declared} bytes; at most {limit} are read")
    chunks, received = [], 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(f"the body has more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _secret(provider: Provider, res: Res) -> str | None:
    configured = getattr(res.settings, f"webhook_secret_{provider.name}")
    return configured.get_secret_value() if configured is not None else None


async def _delivery(provider: Provider, request: Request, res: Res) -> Any:
    """Check, read and record one delivery."""
    body = await _body(request, res.settings.webhook_max_bytes)
    verify_signature(provider, body, request.headers, _secret(provider, res))
    event = request.headers.get(provider.event_header, "")
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaTypeError(
            f"send deliveries as application/json (the webhook's content type), not {media[:80]!r}"
        )
    if event in provider.ping_events:
        return WebhookOut(status="pong")
    if event not in provider.push_events:
        return WebhookOut(status="ignored", reason=f"the event {event[:80]!r} is not a push")
    push = read_push(body)
    reason = ignored_because(push, res.settings.model_branch, res.settings.model_repo_name)
    if reason is None and not res.settings.model_repo:
        reason = "no model repository is configured (ECOPLANE_MODEL_REPO)"
    if reason is not None:
        return WebhookOut(status="ignored", reason=reason)
    delivery = request.headers.get(provider.delivery_header, "").strip()[:200] or None
    async with pooled(res) as db:  # taken once the body is in: a slow sender holds none
        ingest, created = await queue_ingest(
            db, trigger=provider.name, ref=res.settings.model_branch,
            commit_sha=push.after, delivery_id=delivery, requested_by=push.pushed_by,
        )  # fmt: skip
    if not created:
        return WebhookOut(status="duplicate", ingest=IngestOut.model_validate(ingest))
    if res.ingestion is not None:
        res.ingestion.worker.wake()
    answer = WebhookOut(status="queued", ingest=IngestOut.model_validate(ingest))
    return JSONResponse(answer.model_dump(mode="json", by_alias=True), status_code=202)


def _route(provider: Provider) -> dict[str, Any]:
    return {
        "summary": f"A {provider.title} push webhook",
        "response_model": WebhookOut,
        "responses": {
            202: {
                "description": "a push to the followed branch: an ingest was queued",
                "model": WebhookOut,
                "content": {"application/json": {"example": QUEUED_EXAMPLE}},
            },
            **RESPONSES,
        },
        "openapi_extra": {"requestBody": PUSH_BODY},
    }


@router.post("/webhooks/github", **_route(GITHUB))
async def github_webhook(request: Request, res: Res) -> Any:
    """A GitHub delivery (push, ping), signed in X-Hub-Signature-256; X-GitHub-Delivery names it."""
    return await _delivery(GITHUB, request, res)


@router.post("/webhooks/gitlab", **_route(GITLAB))
async def gitlab_webhook(request: Request, res: Res) -> Any:
    """A GitLab delivery (Push Hook), with the secret in X-Gitlab-Token; X-Gitlab-Event-UUID names it."""
    return await _delivery(GITLAB, request, res)


@router.post("/webhooks/gitea", **_route(GITEA))
async def gitea_webhook(request: Request, res: Res) -> Any:
    """A Gitea delivery (push), signed in X-Gitea-Signature; X-Gitea-Delivery names it."""
    return await _delivery(GITEA, request, res)
