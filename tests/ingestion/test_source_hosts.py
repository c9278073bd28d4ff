"""ECOPLANE_SOURCE_HOSTS: a model's source host reached elsewhere (a tunnel, the example's
embedded server), and the example's mapping that an operator's own one overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.ecosystem.loader import load_directory
from app.examples.embedded_default import with_example_sources
from app.examples.source_db import example_source, with_example_source
from app.ingestion.source import Endpoint
from app.settings import Settings
from tests.ingestion.conftest import Source

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
REFDATA = "refdata-db.us-east-1.acme.internal"


def _store(host: str, port: int = 5432) -> Source:
    return Source(None, None, host, port, "crm")  # type: ignore[arg-type]


def test_a_mapped_host_is_reached_where_the_mapping_says() -> None:
    ingestion = _store("crm-db.internal", 6543).store().ingestion
    assert ingestion is not None
    assert str(Endpoint.of("Customers", ingestion)) == "postgres://crm-db.internal:6543/crm"
    tunnel = Endpoint.of("Customers", ingestion, {"crm-db.internal": "127.0.0.1:15432"})
    assert (tunnel.host, tunnel.port, tunnel.database) == ("127.0.0.1", 15432, "crm")
    socket = Endpoint.of("Customers", ingestion, {"crm-db.internal": "/run/pg"})
    assert (socket.host, socket.port) == ("/run/pg", 6543)  # the model's port kept
    other = Endpoint.of("Customers", ingestion, {"elsewhere": "127.0.0.1:1"})
    assert (other.host, other.port) == ("crm-db.internal", 6543)


def test_a_malformed_mapping_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="source_hosts"):
        Settings(source_hosts={"crm-db.internal": "127.0.0.1:port"})
    with pytest.raises(ValidationError, match="source_hosts"):
        Settings(source_hosts={"crm-db.internal": "a host"})


def test_the_example_maps_referencedata_to_the_embedded_server_unless_mapped_already() -> None:
    found = example_source(load_directory(ACME), "postgresql://postgres:@/ecoplane?host=/tmp/x")
    assert found is not None and found.endpoint.database == "refdata"
    assert found.credential == "refdata_reader" and found.endpoint.schema == "golden"
    assert with_example_source(Settings(), found).source_hosts == {REFDATA: "/tmp/x:5432"}
    own = Settings(source_hosts={REFDATA: "10.0.0.7:5432"})
    assert with_example_source(own, found).source_hosts == {REFDATA: "10.0.0.7:5432"}


def test_a_process_other_than_the_service_reaches_the_example_source_too(tmp_path: Path) -> None:
    url = "postgresql://postgres:@/ecoplane?host=/tmp/y"
    embedded = Settings(data_dir=tmp_path)  # the embedded default, as `ecoplane ingestion` has it
    assert with_example_sources(embedded, url).source_hosts == {REFDATA: "/tmp/y:5432"}
    external = Settings(data_dir=tmp_path, database_url="postgresql://db.internal/ecoplane")
    assert with_example_sources(external, url).source_hosts == {}  # no example: left alone
