"""`ecoplane serve` begins the embedded Postgres's start while its modules import: the service's
own start joins that one (never a second start) and raises what it raised."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.db import embedded
from app.errors import DatabaseUnavailableError


def test_the_service_joins_the_start_begun_early_instead_of_starting_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[str] = []
    release = threading.Event()

    def start(data_dir: Path) -> str:
        starts.append(threading.current_thread().name)
        release.wait(10)
        return f"postgresql://embedded-under-{data_dir.name}"

    monkeypatch.setattr(embedded, "_start", start)
    embedded.begin_embedded(tmp_path)
    embedded.begin_embedded(tmp_path)  # begun already: not a second thread
    release.set()
    assert embedded.start_embedded(tmp_path) == f"postgresql://embedded-under-{tmp_path.name}"
    assert starts == ["embedded-postgres"], "started once, in the early thread"
    assert embedded.start_embedded(tmp_path) == f"postgresql://embedded-under-{tmp_path.name}"
    assert starts == ["embedded-postgres", "MainThread"], "a later caller starts (joins) itself"


def test_a_failed_early_start_is_the_services_error(tmp_path: Path) -> None:
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "PG_VERSION").write_text("9\n")  # a server pgserver cannot run
    embedded.begin_embedded(tmp_path)
    with pytest.raises(DatabaseUnavailableError, match="the embedded Postgres did not start"):
        embedded.start_embedded(tmp_path)
