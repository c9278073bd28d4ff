"""One raw YAML document to one typed document, or problems saying what is wrong and where."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from app.ecosystem.paths import document_name, model_path
from app.ecosystem.problems import Problems
from app.ecosystem.sources import RawDocument
from app.ecosystem.spec.base import API_VERSION
from app.ecosystem.spec.documents import DOCUMENT_TYPES, KINDS, Document

TYPE_ERRORS = ("_type", "_parsing", "_instance")


def read_document(
    raw: RawDocument,
    problems: Problems,
    broken: set[tuple[str, str]],
    context: dict[str, Any] | None = None,
) -> Document | None:
    """Validate one document's envelope and body; None (with problems) when it is not valid.

    The kind and name of a document that fails are added to `broken`, so that references
    to it are not reported again as unknown.
    """
    data, source = raw.data, raw.source
    if not isinstance(data, dict):
        found = type(data).__name__
        problems.error(
            "document-not-mapping",
            "a document must be a mapping with apiVersion, kind, "
            f"metadata and spec; found a {found}",
            source,
            f"document {source.document + 1}",
        )
        return None
    path = model_path(data, ())
    version, kind = data.get("apiVersion"), data.get("kind")
    if version is None or kind is None:
        missing = "apiVersion" if version is None else "kind"
        problems.error("missing-field", f"missing field {missing!r} in {path}", source, path)
        return None
    if version != API_VERSION:
        problems.error(
            "unknown-api-version",
            f"apiVersion {version!r} is not supported; use {API_VERSION!r}",
            source.at("apiVersion"),
            path,
        )
        return None
    document_type = DOCUMENT_TYPES.get(kind) if isinstance(kind, str) else None
    if document_type is None:
        problems.error(
            "unknown-kind",
            f"kind {kind!r} is not one of {', '.join(KINDS)}",
            source.at("kind"),
            path,
        )
        return None
    try:
        return typing.cast(Document, document_type.model_validate(data, context=context))
    except ValidationError as error:
        broken.add((kind, document_name(data)))
        if kind == "Workspace":
            broken.add(("Datastore", _output_name(data)))
        for detail in error.errors(include_url=False):
            _field_problem(detail, data, document_type, raw, problems)
        return None


def _field_problem(
    detail: Any,
    data: dict[str, Any],
    document_type: type[BaseModel],
    raw: RawDocument,
    problems: Problems,
) -> None:
    loc = tuple(step for step in detail["loc"] if isinstance(step, (str, int)))
    path = model_path(data, loc)
    source = raw.source.at(*loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = allowed_fields(document_type, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if hint:
            suggestion = f"; did you mean {hint[0]!r}?"
        else:
            suggestion = f"; allowed: {', '.join(allowed)}" if allowed else "; it takes no fields"
        if any(mark in str(loc[-1]) for mark in ")>"):
            suggestion += (
                "; inside {...} a value with a comma, such as decimal(18,4), must be quoted"
            )
        problems.error(
            "unknown-field",
            f"unknown field {loc[-1]!r} in {path.rsplit('/', 1)[0]}{suggestion}",
            source,
            path,
            at_key=True,
        )
    elif kind == "missing":
        problems.error(
            "missing-field", f"missing field {loc[-1]!r} in {path.rsplit('/', 1)[0]}", source, path
        )
    elif kind == "invalid_key":
        problems.error(
            "wrong-type",
            f"{path.rsplit('/', 1)[0]}: key {loc[-1]} is not a string; names and "
            "field names must be strings",
            source,
            path,
        )
    elif kind.endswith(TYPE_ERRORS) or kind in ("model_attributes_type", "dict_type", "list_type"):
        problems.error(
            "wrong-type",
            f"{path}: {detail['msg'].lower()}, got {_shown(detail['input'])}",
            source,
            path,
        )
    else:
        message = str(detail["msg"]).removeprefix("Value error, ")
        problems.error("invalid-value", f"{path}: {message}", source, path)


def _output_name(data: dict[str, Any]) -> str:
    try:
        return str(data["spec"]["transformer"]["output"]["name"])
    except (KeyError, TypeError):
        return "?"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def allowed_fields(document_type: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names (as written in YAML) of the model at a location below a document type."""
    current: Any = document_type
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == step), None)
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside an annotation such as `list[X]`, `X | None` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict):
        for arg in args:
            found = _model_in(arg)
            if found is not None:
                return found
    return None
