"""Reads docs/deploy.md: its sections, and the kubectl commands of their shell blocks."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"```sh\n(.*?)```", re.S)
SEPARATORS = re.compile(r"\s(?:&&|\|\||\||;|&)(?:\s|$)")


@dataclass
class Command:
    """One kubectl invocation: its words (after `kubectl`), and the namespace it names."""

    words: list[str]
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def option(self, name: str) -> str | None:
        """The value of `--name=value`."""
        prefix = f"--{name}="
        return next((w[len(prefix) :] for w in self.words if w.startswith(prefix)), None)


@dataclass
class Section:
    """A `## ` section of the guide: its title and its kubectl commands."""

    title: str
    commands: list[Command]

    def overlay(self) -> str | None:
        """The overlay the section applies, if it applies one."""
        for command in self.commands:
            if command.words[:2] == ["apply", "-k"]:
                return command.words[2].rstrip("/").rsplit("/", 1)[-1]
        return None


def _logical_lines(block: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = [re.sub(r"\s#.*$", "", line) for line in joined.splitlines()]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _without_substitutions(line: str) -> str:
    return re.sub(r'"?\$\(.*?\)"?', "SUBSTITUTED", line)  # $(...) is the shell's, not ours


def _command(words: list[str]) -> Command:
    command = Command([])
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("-n", "--namespace"):
            command.namespace, index = words[index + 1], index + 2
            continue
        if word.startswith("--namespace="):
            command.namespace = word.split("=", 1)[1]
        elif word in ("-l", "--selector"):
            pairs = words[index + 1].split(",")
            command.labels.update(dict(pair.split("=", 1) for pair in pairs))
            index += 2
            continue
        else:
            command.words.append(word)
        index += 1
    return command


def kubectl_commands(text: str) -> list[Command]:
    """Every `kubectl ...` in the shell blocks and inline code of a piece of markdown."""
    commands = []
    inline = re.findall(r"`(kubectl [^`]+)`", FENCE.sub("", text))
    for block in [*FENCE.findall(text), "\n".join(inline)]:
        for line in _logical_lines(block):
            for part in SEPARATORS.split(_without_substitutions(line)):
                words = shlex.split(part)
                if words and words[0] == "kubectl":
                    commands.append(_command(words[1:]))
    return commands


def sections(text: str) -> list[Section]:
    """The guide's `## ` sections with their kubectl commands."""
    parts = re.split(r"(?m)^## ", text)[1:]
    return [Section(part.splitlines()[0], kubectl_commands(part)) for part in parts]


def created_secrets(commands: list[Command]) -> set[tuple[str, str]]:
    """(secret, key) of every `kubectl create secret generic NAME --from-literal=KEY=...`."""
    created = set()
    for command in commands:
        if command.words[:3] == ["create", "secret", "generic"]:
            name = command.words[3]
            for word in command.words[4:]:
                found = re.match(r"--from-(?:literal|file)=([^=]+)=", word)
                if found:
                    created.add((name, found[1]))
    return created
