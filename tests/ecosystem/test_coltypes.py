"""Column types: parsing every accepted form, canonical printing, errors, and width comparison."""

from __future__ import annotations

import pytest

from app.ecosystem.coltypes import (
    ACCEPTED_FORMS,
    ColumnType,
    ColumnTypeError,
    Width,
    compare,
    parse_type,
)

# (as written, canonical form)
ACCEPTED = [
    ("boolean", "boolean"),
    ("smallint", "smallint"),
    ("integer", "integer"),
    ("bigint", "bigint"),
    ("real", "real"),
    ("double", "double"),
    ("decimal(10,2)", "decimal(10,2)"),
    ("decimal( 38 , 0 )", "decimal(38,0)"),
    ("varchar(255)", "varchar(255)"),
    ("char(2)", "char(2)"),
    ("text", "text"),
    ("date", "date"),
    ("time", "time"),
    ("timestamp", "timestamp"),
    ("timestamptz", "timestamptz"),
    ("interval", "interval"),
    ("json", "json"),
    ("binary", "binary"),
    ("uuid", "uuid"),
    ("vector(1536)", "vector(1536)"),
    ("array<text>", "array<text>"),
    ("array< array<integer> >", "array<array<integer>>"),
    ("map<text,bigint>", "map<text,bigint>"),
    ("map<varchar(10), array<decimal(5,1)>>", "map<varchar(10),array<decimal(5,1)>>"),
    ("struct<a: integer>", "struct<a: integer>"),
    ("struct<a:integer,b : text>", "struct<a: integer, b: text>"),
    (
        "struct<id: uuid, tags: array<text>, inner: struct<x: double>>",
        "struct<id: uuid, tags: array<text>, inner: struct<x: double>>",
    ),
    # case-insensitive
    ("BIGINT", "bigint"),
    ("VarChar(20)", "varchar(20)"),
    ("TimestampTZ", "timestamptz"),
    ("DECIMAL(12,4)", "decimal(12,4)"),
    ("ARRAY<Map<TEXT,INTEGER>>", "array<map<text,integer>>"),
    ("Struct<name: TEXT>", "struct<name: text>"),
    ("  integer  ", "integer"),
]


@pytest.mark.parametrize(("text", "canonical"), ACCEPTED)
def test_accepted_forms_parse_to_their_canonical_form(text: str, canonical: str) -> None:
    parsed = parse_type(text)
    assert str(parsed) == canonical
    # the canonical form parses back to the same type and prints the same
    assert parse_type(canonical) == parsed
    assert str(parse_type(canonical)) == canonical


def test_every_form_of_the_design_is_accepted() -> None:
    # the list of accepted forms given in errors names every base type the parser knows
    for base in (
        "boolean smallint integer bigint real double decimal varchar char text date time "
        "timestamp timestamptz interval json binary uuid vector array map struct"
    ).split():
        assert base in ACCEPTED_FORMS
    bases = {parse_type(text).base for text, _ in ACCEPTED}
    assert len(bases) == 22


def test_parsed_structure() -> None:
    assert parse_type("decimal(10,2)") == ColumnType("decimal", (10, 2))
    assert parse_type("map<text,integer>") == ColumnType(
        "map", args=(ColumnType("text"), ColumnType("integer"))
    )
    assert parse_type("struct<Name: text>").fields == (("Name", ColumnType("text")),)


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("string", "unknown type 'string'"),
        ("array<strng>", "unknown type 'strng'"),
        ("varchar", "length"),
        ("char", "length"),
        ("vector", "dimensions"),
        ("decimal", "precision and scale"),
        ("varchar()", "expected a number but found ')'"),
        ("varchar(x)", "expected a number but found 'x'"),
        ("varchar(0)", "length 0 is outside"),
        ("varchar(10485761)", "length 10485761 is outside"),
        ("vector(0)", "dimensions 0 is outside"),
        ("decimal(10)", "expected ','"),
        ("decimal(5,6)", "scale 6 is outside 0..5"),
        ("decimal(0,0)", "precision 0 is outside"),
        ("array<integer", "expected '>'"),
        ("decimal(10,2", "expected ')'"),
        ("map<text,integer", "expected '>'"),
        ("array<integer>>", "unexpected '>' after array<integer>"),
        ("varchar(10))", "unexpected ')' after varchar(10)"),
        ("integer foo", "unexpected 'foo' after integer"),
        ("integer!", "unexpected character '!'"),
        ("map<text>", "expected ','"),
        ("struct<a integer>", "expected ':'"),
        ("struct<>", "expected a field name"),
        ("struct<a: integer, a: text>", "struct field 'a' appears twice"),
        ("", "ends too early"),
        ("array<" * 40 + "integer" + ">" * 40, "nested too deeply"),
    ],
)
def test_bad_types_name_what_is_wrong(text: str, wrong: str) -> None:
    with pytest.raises(ColumnTypeError) as caught:
        parse_type(text)
    assert wrong in str(caught.value)


def test_nesting_up_to_the_limit_is_accepted() -> None:
    text = "array<" * 30 + "integer" + ">" * 30
    assert str(parse_type(text)) == text


def test_column_type_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        parse_type("nope")


@pytest.mark.parametrize(
    ("old", "new", "width"),
    [
        # same, including respellings
        ("integer", "integer", Width.SAME),
        ("varchar(10)", "VARCHAR(10)", Width.SAME),
        ("struct<a: integer>", "struct<a:INTEGER>", Width.SAME),
        # integers, floats and strings widen within their family
        ("smallint", "integer", Width.WIDER),
        ("integer", "bigint", Width.WIDER),
        ("smallint", "bigint", Width.WIDER),
        ("bigint", "integer", Width.NARROWER),
        ("integer", "smallint", Width.NARROWER),
        ("real", "double", Width.WIDER),
        ("double", "real", Width.NARROWER),
        ("varchar(10)", "varchar(20)", Width.WIDER),
        ("varchar(20)", "varchar(10)", Width.NARROWER),
        ("char(2)", "char(3)", Width.WIDER),
        ("char(2)", "varchar(2)", Width.WIDER),
        ("char(10)", "varchar(5)", Width.NARROWER),
        ("varchar(10)", "char(10)", Width.NARROWER),
        ("varchar(10)", "text", Width.WIDER),
        ("char(1)", "text", Width.WIDER),
        ("text", "varchar(100)", Width.NARROWER),
        # another family is never wider
        ("integer", "text", Width.NARROWER),
        ("integer", "double", Width.NARROWER),
        ("integer", "decimal(10,0)", Width.NARROWER),
        ("timestamp", "timestamptz", Width.NARROWER),
        ("timestamptz", "timestamp", Width.NARROWER),
        ("date", "timestamp", Width.NARROWER),
        ("uuid", "text", Width.NARROWER),
        ("array<integer>", "integer", Width.NARROWER),
        ("vector(3)", "vector(4)", Width.NARROWER),
        # decimals: wider when neither integer digits nor scale shrink
        ("decimal(10,2)", "decimal(12,2)", Width.WIDER),
        ("decimal(10,2)", "decimal(11,3)", Width.WIDER),
        ("decimal(10,2)", "decimal(9,2)", Width.NARROWER),
        ("decimal(10,2)", "decimal(10,3)", Width.NARROWER),
        ("decimal(10,2)", "decimal(10,1)", Width.NARROWER),
        # arrays and maps follow their elements
        ("array<integer>", "array<bigint>", Width.WIDER),
        ("array<bigint>", "array<integer>", Width.NARROWER),
        ("array<array<varchar(5)>>", "array<array<text>>", Width.WIDER),
        ("map<text,integer>", "map<text,bigint>", Width.WIDER),
        ("map<varchar(5),integer>", "map<varchar(3),integer>", Width.NARROWER),
        ("map<varchar(5),integer>", "map<text,smallint>", Width.NARROWER),
        # structs: adding fields or widening them is wider; dropping or narrowing one is not
        ("struct<a: integer>", "struct<a: integer, b: text>", Width.WIDER),
        ("struct<a: integer>", "struct<b: text, a: integer>", Width.WIDER),
        ("struct<a: integer>", "struct<a: bigint>", Width.WIDER),
        ("struct<a: integer, b: text>", "struct<a: integer>", Width.NARROWER),
        ("struct<a: integer>", "struct<b: integer>", Width.NARROWER),
        ("struct<a: bigint>", "struct<a: integer, b: text>", Width.NARROWER),
        ("struct<a: struct<x: integer>>", "struct<a: struct<x: integer, y: text>>", Width.WIDER),
    ],
)
def test_compare(old: str, new: str, width: Width) -> None:
    assert compare(parse_type(old), parse_type(new)) is width


def test_widening_and_narrowing_are_opposites_within_a_family() -> None:
    chain = ["smallint", "integer", "bigint"]
    for i, small in enumerate(chain):
        for big in chain[i + 1 :]:
            assert compare(parse_type(small), parse_type(big)) is Width.WIDER
            assert compare(parse_type(big), parse_type(small)) is Width.NARROWER
