"""Physical names and quoting, as data."""

from __future__ import annotations

import pytest

from app.security import names
from app.security.scram import scram_verifier


def test_long_names_keep_a_prefix_and_a_stable_hash() -> None:
    long = "A" * 40 + "__" + "b" * 40
    name = names.physical(long)
    assert len(name.encode()) == 63
    assert name.startswith("a" * 40) and name[-9] == "_"
    assert names.physical(long) == name
    assert names.physical(long + "x") != name
    assert names.physical("Customers__Customers") == "customers__customers"


def test_role_and_schema_names() -> None:
    assert names.transformer_role("MaskCustomers") == "dt_maskcustomers"
    assert names.transformer_role("x", "t1_") == "t1_dt_x"
    assert names.read_role("Sales") == "ws_sales_read"
    assert names.output_schema("Mask") == "out_mask"
    assert names.workspace_schema("W" * 63).startswith("ws_www")


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("plain", '"plain"'),
        ('a"b', '"a""b"'),
        ("with space", '"with space"'),
        ('x"; DROP ROLE postgres; --', '"x""; DROP ROLE postgres; --"'),
        ('""', '""""""'),
    ],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert names.quote_ident(name) == quoted


def test_quote_literal_and_nul() -> None:
    assert names.quote_literal("it's") == "'it''s'"
    assert names.quote_literal("a\\b'") == "E'a\\\\b'''"
    with pytest.raises(ValueError, match="NUL"):
        names.quote_ident("a\x00b")


def test_scram_verifier_is_what_postgres_stores() -> None:
    # a verifier computed by PostgreSQL 15 for password 'secret' with this salt
    salt = bytes(range(16))
    verifier = scram_verifier("secret", salt)
    assert verifier.startswith("SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$")
    assert scram_verifier("secret", salt) == verifier != scram_verifier("other", salt)
