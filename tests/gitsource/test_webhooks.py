"""Webhook signatures and push events of GitHub, GitLab and Gitea, on their real payload shapes."""

from __future__ import annotations

import json

import pytest

from app.errors import InvalidParameterError, UnauthorizedError
from app.gitsource.webhooks import PROVIDERS, ignored_because, read_push, verify
from tests.gitsource.repo import payload, push_payload, signed_headers

SECRET = "It's a Secret to Everybody"
SHA = "a" * 40


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize("host", ["github", "gitlab", "gitea"])
def test_a_signed_push_is_accepted_and_read(host: str) -> None:
    body = push_payload(host, SHA)
    verify(PROVIDERS[host], body, _lower(signed_headers(host, body, SECRET, "d-1")), SECRET)
    push = read_push(body)
    assert (push.ref, push.after, push.repository_name) == (
        "refs/heads/main",
        SHA,
        "acme/data-model",
    )
    assert push.pushed_by == "alice"
    assert ignored_because(push, "main", "acme/data-model") is None


@pytest.mark.parametrize("host", ["github", "gitlab", "gitea"])
def test_a_wrong_or_missing_signature_is_refused(host: str) -> None:
    body = push_payload(host, SHA)
    headers = _lower(signed_headers(host, body, "another secret", "d-1"))
    with pytest.raises(UnauthorizedError, match="does not match"):
        verify(PROVIDERS[host], body, headers, SECRET)
    tampered = body.replace(b"acme/data-model", b"evil/data-model")
    good = _lower(signed_headers(host, body, SECRET, "d-1"))
    if host != "gitlab":  # GitLab sends the token itself: it does not sign the body
        with pytest.raises(UnauthorizedError):
            verify(PROVIDERS[host], tampered, good, SECRET)
    signature = {
        "github": "x-hub-signature-256",
        "gitea": "x-gitea-signature",
        "gitlab": "x-gitlab-token",
    }
    del good[signature[host]]
    with pytest.raises(UnauthorizedError, match="no X-"):
        verify(PROVIDERS[host], body, good, SECRET)
    with pytest.raises(UnauthorizedError, match=f"ECOPLANE_WEBHOOK_SECRET_{host.upper()}"):
        verify(PROVIDERS[host], body, _lower(signed_headers(host, body, SECRET, "d")), None)


def test_pushes_that_are_not_followed_say_why() -> None:
    push = read_push(push_payload("github", SHA, branch="feature/x"))
    assert "refs/heads/feature/x" in (ignored_because(push, "main", None) or "")
    other = read_push(push_payload("github", SHA, repo="someone/else"))
    assert "someone/else" in (ignored_because(other, "main", "acme/data-model") or "")
    assert ignored_because(other, "main", None) is None  # no repository name configured
    deleted = read_push(push_payload("github", "0" * 40))
    assert "deleted" in (ignored_because(deleted, "main", None) or "")


def test_a_body_that_is_not_a_push_is_a_clear_422() -> None:
    with pytest.raises(InvalidParameterError, match="ref: Field required"):
        read_push(json.dumps(payload("github_ping")).encode())
    with pytest.raises(InvalidParameterError, match="not a push"):
        read_push(b"not json")
    with pytest.raises(InvalidParameterError, match="after"):
        read_push(json.dumps(payload("github_push", after="--upload-pack=evil")).encode())
