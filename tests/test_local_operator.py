"""The embedded default's operator token: made once, private, accepted with every scope."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from app.resources import OPERATOR_TOKEN, with_local_operator
from app.settings import Settings


def test_the_embedded_default_makes_one_private_token_of_every_scope(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=None)
    first = with_local_operator(settings)
    token_file = tmp_path / "data" / OPERATOR_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 40
    (entry,) = first.tokens
    assert entry.sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert set(entry.scopes) == {"read", "operate", "admin"}
    again = with_local_operator(settings)  # the next start keeps the same token
    assert again.tokens == first.tokens
    assert token_file.read_text().strip() == token


def test_a_configured_database_gets_no_local_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://db.example/ecoplane")
    assert with_local_operator(settings).tokens == []
    assert not (tmp_path / OPERATOR_TOKEN).exists()
