"""`ecoplane load` holds breaking changes back (unless --allow-breaking); `ecoplane activate`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import EXAMPLES
from tests.test_cli_database import _query

PHONE = "        - {name: phone, type: varchar(32), classification: [pc2]}\n"
CUSTOMERS = "zones/USA/teams/FrontOffice/customers.yaml"


@pytest.fixture
def without_phone(tmp_path: Path) -> Path:
    """A copy of acme without the column Customers.customers.phone (TradeSurveillance reads it)."""
    copy = tmp_path / "acme2"
    shutil.copytree(EXAMPLES / "acme", copy)
    path = copy / CUSTOMERS
    path.write_text(path.read_text().replace(PHONE, ""))
    return copy


def test_a_breaking_load_exits_one_and_says_why_then_activate_overrides_it(
    database_url: str,
    without_phone: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    assert main(["load", str(EXAMPLES / "acme")]) == 0
    first = json.loads(capsys.readouterr().out)["version"]
    assert main(["load", str(without_phone), "--commit", "2b7e1f0"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (report["state"], report["errors"]) == ("rejected", 0)
    assert "columns/phone" in report["heldBack"] and "TradeSurveillance" in report["heldBack"]
    assert "--allow-breaking" in captured.err
    assert _query(database_url, "SELECT id FROM current_model_version") == first
    assert main(["activate", str(report["version"]), "--reason", " "]) == 2  # a reason is needed
    assert "reason is empty" in capsys.readouterr().err
    assert main(["activate", str(report["version"]), "--reason", "agreed with surveillance"]) == 0
    assert "(override)" in capsys.readouterr().err
    assert _query(database_url, "SELECT id FROM current_model_version") == report["version"]
    by = _query(database_url, "SELECT activated_by FROM model_version_activations ORDER BY id DESC")
    assert str(by).endswith("(ecoplane activate)")
    assert main(["activate", str(first), "--reason", "roll back"]) == 0
    assert "(rollback)" in capsys.readouterr().err


def test_allow_breaking_activates_it(
    database_url: str,
    without_phone: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ECOPLANE_DATABASE_URL", database_url)
    assert main(["load", str(EXAMPLES / "acme")]) == 0
    capsys.readouterr()
    assert main(["load", str(without_phone), "--allow-breaking"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["state"], report["heldBack"]) == ("active", None)
