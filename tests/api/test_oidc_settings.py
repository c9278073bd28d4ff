"""The OIDC settings are checked at start: each mistake is named with the variable to fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings

ISSUER = "https://sso.acme.example/realms/acme"
COMPLETE = {
    "ECOPLANE_OIDC_ISSUER": ISSUER,
    "ECOPLANE_OIDC_AUDIENCE": "ecoplane-api",
    "ECOPLANE_OIDC_SCOPE_MAP": '{"ecoplane-operators": "operate", "ecoplane-readers": "read"}',
}


def _settings(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> Settings:
    for name, value in {**COMPLETE, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return Settings()


def test_a_complete_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        ECOPLANE_OIDC_ALGORITHMS='["ES256", "PS256"]',
        ECOPLANE_OIDC_SCOPES_CLAIM="realm_access.roles",
    )
    assert settings.oidc_issuer == ISSUER
    assert settings.oidc_scope_map == {"ecoplane-operators": "operate", "ecoplane-readers": "read"}
    assert settings.oidc_algorithms == ["ES256", "PS256"]
    assert settings.oidc_scopes_claim == "realm_access.roles"


WRONG: dict[str, tuple[dict[str, str | None], str]] = {
    "no audience": ({"ECOPLANE_OIDC_AUDIENCE": None}, "needs ECOPLANE_OIDC_AUDIENCE"),
    "no scope map": ({"ECOPLANE_OIDC_SCOPE_MAP": None}, "needs ECOPLANE_OIDC_SCOPE_MAP"),
    "alg none": ({"ECOPLANE_OIDC_ALGORITHMS": '["RS256", "none"]'}, "'none' is never accepted"),
    "HS256": ({"ECOPLANE_OIDC_ALGORITHMS": '["HS256"]'}, "'HS256' is never accepted"),
    "unknown alg": ({"ECOPLANE_OIDC_ALGORITHMS": '["RS1"]'}, "'RS1' is not one of"),
    "no alg": ({"ECOPLANE_OIDC_ALGORITHMS": "[]"}, "oidc_algorithms"),
    "plain http": (
        {"ECOPLANE_OIDC_ISSUER": "http://sso.acme.example/realms/acme"},
        "must be an https URL (http only on 127.0.0.1)",
    ),
    "query": ({"ECOPLANE_OIDC_ISSUER": f"{ISSUER}?x=1"}, "no query"),
    "unknown scope": (
        {"ECOPLANE_OIDC_SCOPE_MAP": '{"ecoplane-writers": "write"}'},
        "oidc_scope_map.ecoplane-writers",
    ),
    "claim path": ({"ECOPLANE_OIDC_TEAMS_CLAIM": "groups..x"}, "oidc_teams_claim"),
}


@pytest.mark.parametrize("case", WRONG)
def test_a_wrong_setting_is_named_at_start(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    changes, message = WRONG[case]
    with pytest.raises(ValidationError) as wrong:
        _settings(monkeypatch, **changes)
    assert message in str(wrong.value)


def test_http_is_accepted_on_the_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    local = _settings(monkeypatch, ECOPLANE_OIDC_ISSUER="http://127.0.0.1:5556/dex")
    assert local.oidc_issuer == "http://127.0.0.1:5556/dex"


def test_no_issuer_needs_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        ECOPLANE_OIDC_ISSUER=None,
        ECOPLANE_OIDC_AUDIENCE=None,
        ECOPLANE_OIDC_SCOPE_MAP=None,
    )
    assert settings.oidc_issuer is None
