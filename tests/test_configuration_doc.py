"""docs/configuration.md lists every setting, and deploy/ and the guide name only settings."""

from __future__ import annotations

import re

from app.jobs.spec import MODEL_DATABASE_URL, TransformerCode, transformer_environment
from app.settings import Settings
from app.settings_doc import DOC, environment_name, markdown
from tests.deploy.conftest import DEPLOY, ROOT
from tests.deploy.kustomize import containers, render

# Settings that deploy/ and docs/deploy.md already configure, whose fields arrive with the
# branches of issue 5 (git ingest), issue 6 (jobs) and issue 7 (security sync). Once merged,
# each becomes a Settings field and the stale-entry test below asks to remove it here.
PENDING: set[str] = set()  # settings the manifests name before the code has them
SETTINGS = {environment_name(name) for name in Settings.model_fields}
# what ecoplane gives the Jobs it starts (not settings): the guide may name these too
JOB_VARIABLES = {
    MODEL_DATABASE_URL,
    *transformer_environment(TransformerCode("t", "w", "python"), 1),
}


def test_the_document_is_generated_from_the_settings() -> None:
    assert DOC.read_text() == markdown(), "run: python -m app.settings_doc"
    for name in SETTINGS:
        assert f"| `{name}` |" in DOC.read_text()


def _names_in_deploy() -> set[str]:
    names: set[str] = set()
    for overlay in ("local", "aws"):
        for obj in render(DEPLOY / "overlays" / overlay):
            if obj["kind"] == "ConfigMap":
                names |= set(obj.get("data", {}))
            for container in containers(obj):
                names |= {variable["name"] for variable in container.get("env", [])}
    return {name for name in names if name.startswith("ECOPLANE_")}


def test_deploy_and_the_guide_name_only_settings() -> None:
    guide = set(re.findall(r"\bECOPLANE_[A-Z_]+[A-Z]", (ROOT / "docs" / "deploy.md").read_text()))
    used = _names_in_deploy() | guide
    assert len(used) > 15
    assert sorted(used - SETTINGS - PENDING - JOB_VARIABLES) == []


def test_no_pending_name_is_a_setting_already() -> None:
    assert sorted(PENDING & SETTINGS) == [], "now real settings: remove them from PENDING"
