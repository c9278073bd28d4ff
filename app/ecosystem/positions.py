"""Find the line and column of a problem: files are parsed fast, positions only when needed."""

from __future__ import annotations

from collections import defaultdict

import yaml

from app.ecosystem.problems import Pointer, Problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def resolve_positions(problems: list[Problem], texts: dict[str, str]) -> None:
    """Fill line and column of every problem that has none, composing each file at most once."""
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.line == 0:
            by_file[problem.file].append(problem)
    for file, pending in by_file.items():
        text = texts.get(file)
        nodes = _compose(text) if text is not None else []
        for problem in pending:
            problem.line, problem.column = _position(problem, nodes, text)


def _compose(text: str) -> list[yaml.Node | None]:
    try:
        return list(yaml.compose_all(text, Loader=_Loader))
    except (yaml.YAMLError, RecursionError):
        return []


def _position(problem: Problem, nodes: list[yaml.Node | None], text: str | None) -> tuple[int, int]:
    source = problem.source
    if source is None or text is None:
        return 1, 1
    if source.document < 0:  # a file-level YAML error without a position of its own
        return duplicate_key_position(nodes) or (1, 1)
    if source.document >= len(nodes) or nodes[source.document] is None:
        return 1, 1
    node = nodes[source.document]
    assert node is not None
    return _walk(node, source.pointer, problem.at_key)


def _walk(node: yaml.Node, pointer: Pointer, at_key: bool) -> tuple[int, int]:
    mark = node.start_mark
    for step in pointer:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                    child, mark = value, (key.start_mark if at_key else value.start_mark)
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            child = node.value[step]
            mark = child.start_mark
        if child is None:
            break
        node = child
    return mark.line + 1, mark.column + 1


def duplicate_key_position(nodes: list[yaml.Node | None]) -> tuple[int, int] | None:
    """The position of the first key that appears twice in one mapping."""
    stack = [n for n in nodes if n is not None]
    seen_nodes: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key.start_mark.line + 1, key.start_mark.column + 1
                    keys.add(key.value)
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None
