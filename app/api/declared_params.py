"""What FastAPI works out about a route's declared parameters, worked out once instead of per request.

FastAPI (0.16x) asks, for every request and every declared parameter, whether the parameter is a
model, which names it may arrive under and whether its annotation is a sequence: typing
introspection that depends only on the declaration, never on the request. On a list route with
nine query parameters it was a third of the route's CPU. `remember()` wraps those three
functions of `fastapi.dependencies.utils` with memories keyed by the declaration (the field
object, which lives as long as its route; the annotation); each answer is the function's own,
so validation and errors are exactly FastAPI's. A FastAPI without them is left as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi.dependencies import utils

MEMORY = 4096  # fields of all the routes together are a few hundred
FIELD_FUNCTIONS = ("_get_param_model", "_get_param_aliases")


def remember() -> None:
    """Wrap FastAPI's per-declaration functions with memories (once per process)."""
    if getattr(utils, "_ecoplane_remembered", False):
        return
    for name in FIELD_FUNCTIONS:
        if callable(getattr(utils, name, None)):
            setattr(utils, name, by_field(getattr(utils, name)))
    sequence = getattr(utils, "field_annotation_is_sequence", None)
    if callable(sequence):
        setattr(utils, "field_annotation_is_sequence", by_annotation(sequence))  # noqa: B010
    setattr(utils, "_ecoplane_remembered", True)  # noqa: B010


def by_field(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function(field, **options)` remembered per field object (held, so its id stays its own)."""
    memory: dict[tuple[int, tuple[tuple[str, Any], ...]], tuple[Any, Any]] = {}

    @functools.wraps(function)
    def remembered(field: Any, **options: Any) -> Any:
        key = (id(field), tuple(sorted(options.items())))
        found = memory.get(key)
        if found is None or found[0] is not field:
            if len(memory) >= MEMORY:
                memory.clear()
            found = memory[key] = (field, function(field, **options))
        return found[1]

    return remembered


def by_annotation(function: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """`function(annotation)` remembered per annotation; an unhashable one is asked each time."""
    cached = functools.lru_cache(maxsize=MEMORY)(function)

    @functools.wraps(function)
    def remembered(annotation: Any) -> bool:
        try:
            return cached(annotation)
        except TypeError:  # unhashable: not remembered
            return function(annotation)

    return remembered
