"""An OpenLineage RunEvent dict checked against the spec, through the OpenLineage Python client.

The client's `openlineage.client.generated` classes are generated from the OpenLineage JSON
schema (the core OpenLineage.json 2-0-2 and each facet's schema): their fields are the schema's
properties, their required arguments its `required`, their enums its enums, and each facet
class carries its schema's `_schemaURL`. An event is rebuilt strictly from its dict (an unknown
key is a TypeError, a missing required one too, a wrong enum a ValueError), serialized back with
the client's `Serde`, and must come out as it went in: so every key is one the spec defines,
where the spec puts it, and every `_schemaURL` is the one of the facet's schema.

No installable package ships the schema files themselves (docs/openlineage.md, "How it is
checked"), so what the classes do not enforce is checked here as the schema says: every value
has its property's type (the classes' annotations: a string is a string, an enum one of its
values), `eventTime` and `nominalStartTime` are RFC 3339 date-times with their offset, and every
`producer`, `_producer`, `schemaURL` and `_schemaURL` is an absolute URI.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Any
from urllib.parse import urlsplit

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
from openlineage.client.facet_v2 import (
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    schema_dataset,
)
from openlineage.client.generated.base import EventType
from openlineage.client.serde import Serde

RUN_FACETS: dict[str, Any] = {
    "errorMessage": error_message_run.ErrorMessageRunFacet,
    "nominalTime": nominal_time_run.NominalTimeRunFacet,
}
JOB_FACETS: dict[str, Any] = {
    "jobType": job_type_job.JobTypeJobFacet,
    "documentation": documentation_job.DocumentationJobFacet,
}
DATASET_FACETS: dict[str, Any] = {"schema": schema_dataset.SchemaDatasetFacet}


class SpecViolationError(AssertionError):
    """The event is not an OpenLineage RunEvent as the spec defines it."""


def _facet(kinds: dict[str, Any], name: str, body: dict[str, Any]) -> Any:
    if name not in kinds:
        raise SpecViolationError(f"facet {name!r} is not one this check knows: add its class")
    fields = dict(body)
    schema_url = fields.pop("_schemaURL", None)
    producer = fields.pop("_producer", None)
    if name == "schema":
        fields["fields"] = [schema_dataset.SchemaDatasetFacetFields(**f) for f in fields["fields"]]
    facet = kinds[name](**fields, producer=producer)
    if facet._schemaURL != schema_url:
        raise SpecViolationError(
            f"facet {name!r}: _schemaURL {schema_url!r}, the spec's is {facet._schemaURL!r}"
        )
    return facet


def _facets(kinds: dict[str, Any], facets: dict[str, Any]) -> dict[str, Any]:
    return {name: _facet(kinds, name, body) for name, body in facets.items()}


def _dataset(kind: Any, body: dict[str, Any]) -> Any:
    fields = dict(body)
    facets = _facets(DATASET_FACETS, fields.pop("facets", {}))
    return kind(**fields, facets=facets)


def client_event(event: dict[str, Any]) -> RunEvent:
    """The event as the client's spec classes (raises on what the spec does not allow)."""
    fields = dict(event)
    schema_url = fields.pop("schemaURL")
    run = dict(fields.pop("run"))
    job = dict(fields.pop("job"))
    built = RunEvent(
        eventType=EventType(fields.pop("eventType")),
        run=Run(runId=run.pop("runId"), facets=_facets(RUN_FACETS, run.pop("facets", {})), **run),
        job=Job(facets=_facets(JOB_FACETS, job.pop("facets", {})), **job),
        inputs=[_dataset(InputDataset, d) for d in fields.pop("inputs", [])],
        outputs=[_dataset(OutputDataset, d) for d in fields.pop("outputs", [])],
        **fields,
    )
    if built.schemaURL != schema_url:
        raise SpecViolationError(f"schemaURL {schema_url!r}, the spec's is {built.schemaURL!r}")
    return built


DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
URIS = ("producer", "_producer", "schemaURL", "_schemaURL")
DATE_TIMES = ("eventTime", "nominalStartTime", "nominalEndTime")


def _typed(value: Any, annotation: Any, where: str) -> None:
    """Raise unless the value is of the annotation's type (what the schema's `type` says)."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        for member in typing.get_args(annotation):
            try:
                return _typed(value, member, where)
            except SpecViolationError:
                continue
        raise SpecViolationError(f"{where}: {value!r} is none of {annotation}")
    if annotation is type(None) or annotation is None:
        if value is not None:
            raise SpecViolationError(f"{where}: {value!r} is not null")
    elif origin is list:
        if not isinstance(value, list):
            raise SpecViolationError(f"{where}: {value!r} is not an array")
        for index, item in enumerate(value):
            _typed(item, typing.get_args(annotation)[0], f"{where}[{index}]")
    elif origin is dict:
        if not isinstance(value, dict):
            raise SpecViolationError(f"{where}: {value!r} is not an object")
        for key, item in value.items():
            _typed(key, str, f"{where} key")
            _typed(item, typing.get_args(annotation)[1], f"{where}.{key}")
    elif annotation is Any:
        return None
    elif attr.has(annotation):
        if not isinstance(value, annotation):
            raise SpecViolationError(f"{where}: {value!r} is not a {annotation.__name__}")
        _fields_typed(value, where)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if not isinstance(value, annotation):
            raise SpecViolationError(f"{where}: {value!r} is not one of {list(annotation)}")
    elif not _scalar(value, annotation):
        raise SpecViolationError(f"{where}: {value!r} is not a {annotation.__name__}")
    return None


def _scalar(value: Any, annotation: type) -> bool:
    """A JSON string, boolean or number of the annotation (a boolean is no number; an integer is
    a number)."""
    if annotation in (int, float) and isinstance(value, bool):
        return False
    if annotation is float:
        return isinstance(value, int | float)
    return isinstance(value, annotation)


def _fields_typed(built: Any, where: str) -> None:
    """Every field of a spec object of its type, its URIs absolute, its date-times RFC 3339."""
    cls = type(built)
    attr.resolve_types(cls)
    for field in attr.fields(cls):
        value = getattr(built, field.name)
        at = f"{where}.{field.name}"
        _typed(value, field.type, at)
        if field.name in URIS and not (urlsplit(value).scheme and urlsplit(value).netloc):
            raise SpecViolationError(f"{at}: {value!r} is not an absolute URI")
        if field.name in DATE_TIMES and value is not None and not DATE_TIME.match(value):
            raise SpecViolationError(f"{at}: {value!r} is not an RFC 3339 date-time")


def check_run_event(event: dict[str, Any]) -> None:
    """Raise unless the dict is a RunEvent of the spec, key for key, value for value."""
    built = client_event(event)
    _fields_typed(built, "event")
    again = Serde.to_dict(built)
    for dataset in again.get("inputs", []) + again.get("outputs", []):
        for empty in ("inputFacets", "outputFacets"):  # the client's empty defaults
            if dataset.get(empty) == {}:
                del dataset[empty]
        for field in dataset.get("facets", {}).get("schema", {}).get("fields", []):
            if field.get("fields") == []:  # nested fields of a struct column: none
                del field["fields"]
    if again != event:
        raise SpecViolationError(f"the spec's reading differs:\n{again}\n!=\n{event}")
