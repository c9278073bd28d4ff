"""The local runner: a job spec as a child process on this machine (the embedded default).

Python code runs as `python -m workers.python_transformer <module>` (builtins and the service's
own workers as `python -m <module>`) with the service's interpreter; a
container's command runs only when `ECOPLANE_LOCAL_CONTAINER_COMMANDS` allows it. Each child
leads a process group of its own, so a timeout or a cancel kills everything it started.
Output (stdout and stderr together) is kept as a tail of lines, every secret value the child
was given replaced by `***`; the exit status decides. A transformer gets its own credentials
from the injected secret source, or is refused before it starts; the child inherits only
PASSED_ON of the service's environment (no PG* variable, no database URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from importlib.machinery import PathFinder
from pathlib import Path

from pydantic import SecretStr

from app.db.run_table import RunState
from app.ecosystem.names import credentials_secret
from app.jobs.log_tail import hidden_values, redaction, url_password
from app.jobs.runners.base import (
    RUNNING,
    MissingCredentialsError,
    MissingSourceLoginError,
    Outcome,
    RunRefusedError,
)
from app.jobs.runners.child_output import read_tail
from app.jobs.runners.credentials import (
    RunSecrets,
    credentials_owner,
    missing_credentials,
    missing_source_login,
    own_keys,
    runs_as_transformer,
    source_credential,
)
from app.jobs.spec import JobSpec, source_secret
from app.settings import Settings

WITHHELD = frozenset({"tokens"})  # API tokens: no worker needs them
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
DRAIN_SECONDS = 5.0  # how long to wait for the rest of the output once the process ended


@dataclass(slots=True)
class _Child:
    process: asyncio.subprocess.Process
    tail: deque[str]
    reader: asyncio.Task[None]
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()  # the secret values it was given (no PUBLIC one): masked
    cancelled: bool = False
    attempts: int = 1


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill a child's process group, unless the child was reaped (its pid may be reused)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _ours(pid: int, run_id: str) -> bool:
    """Whether pid is still the child started for this run (its environment says so)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone, or no /proc: never signal a process we cannot recognise
        return False
    return f"ECOPLANE_RUN_ID={run_id}".encode() in environ.split(b"\0")


def service_configuration(settings: Settings, database_url: str | None) -> dict[str, str]:
    """The service's settings as ECOPLANE_ variables (none of its secrets), with the database
    it really uses (the embedded server's too) and its data directory made absolute."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None or isinstance(value, SecretStr) or name in WITHHELD:
            continue
        dumped = settings.model_dump(mode="json", include={name})[name]
        env[f"ECOPLANE_{name.upper()}"] = dumped if isinstance(dumped, str) else json.dumps(dumped)
    if database_url:
        env["ECOPLANE_DATABASE_URL"] = database_url
    env["ECOPLANE_DATA_DIR"] = str(settings.data_dir.resolve())
    return env


class LocalRunner:
    """Runs specs as child processes with the timeout, output tail and cancel of a run."""

    follows_elsewhere = False  # a child dies with the service that started it

    def __init__(
        self,
        settings: Settings,
        secrets: RunSecrets,
        database_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.database_url = database_url or settings.database_url
        self.python_path = tuple(str(p.resolve()) for p in settings.python_path)
        self.children: dict[str, _Child] = {}

    async def reference(self, spec: JobSpec) -> str | None:
        """Unknown until the process starts: its pid."""
        return None

    def argv(self, spec: JobSpec) -> list[str]:
        """The command line of a spec on this machine."""
        if spec.module:
            if _missing(spec.module, self.python_path):
                top = spec.module.partition(".")[0]
                raise RunRefusedError(f"cannot run {spec.module}: no Python package {top!r} here")
            if spec.command[:2] == ("python", "-m"):  # the harness, or the module itself
                return [sys.executable, *spec.command[1:]]
            return [sys.executable, "-m", spec.module]
        if not self.settings.local_container_commands:
            raise RunRefusedError(
                f"{spec.target} runs a container ({spec.image}): the local runner runs container"
                " commands only with ECOPLANE_LOCAL_CONTAINER_COMMANDS=true"
            )
        if not spec.command:
            raise RunRefusedError(f"{spec.target}'s container declares no command to run locally")
        return list(spec.command)

    async def environment(self, spec: JobSpec) -> tuple[dict[str, str], list[str]]:
        """The variables of the child (a few of the service's, the spec's, its secrets) and the
        secret values among them; RunRefusedError when a transformer has no credentials."""
        env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
        hidden: list[str] = []
        if spec.module:
            env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave in the tail as written
            if path := os.pathsep.join(p for p in (*self.python_path, env.get("PYTHONPATH")) if p):
                env["PYTHONPATH"] = path
        if spec.config_map:  # the service's own worker: the service's configuration, as in a Job
            configuration = service_configuration(self.settings, self.database_url)
            env.update(configuration)
            hidden += [p for v in configuration.values() if (p := url_password(v))]
        env.update(spec.env)
        secrets = await self._secrets(spec)
        given = {
            name: value
            for name, ref in spec.secret_env.items()
            if (value := secrets.get(ref.secret, {}).get(ref.key)) is not None
        }
        env.update(given)
        return env, hidden + hidden_values(given)

    async def _secrets(self, spec: JobSpec) -> dict[str, dict[str, str]]:
        """The secrets the spec refers to, by name: a transformer's own first and an ingestion's
        source login from the store in use, or refused."""
        found: dict[str, dict[str, str]] = {}
        if runs_as_transformer(spec) and (keys := own_keys(spec)):
            owner = credentials_owner(spec)
            own = await self.secrets.credentials(owner)
            if own is None or not set(keys.values()) <= set(own):
                raise MissingCredentialsError(
                    missing_credentials(spec, self.settings.role_prefix, self.secrets.store)
                )
            found[credentials_secret(owner)] = own
        if credential := source_credential(spec):  # a data ingestion: its source login
            login = await self.secrets.source_login(credential)
            if login is None or not {"user", "password"} <= set(login):
                raise MissingSourceLoginError(missing_source_login(credential, self.secrets.store))
            found[source_secret(credential)] = login
        for ref in spec.secret_env.values():
            if ref.secret not in found:
                found[ref.secret] = await self.secrets.values(ref.secret) or {}
        return found

    async def _start(self, argv: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole
            )
        except OSError as error:
            raise RunRefusedError(f"cannot start {argv[0]!r}: {error.strerror}") from error
        return process

    async def launch(self, spec: JobSpec) -> str:
        """Start the child; the handle is `local:<pid>:<run id>`."""
        argv = self.argv(spec)
        env, secrets = await self.environment(spec)
        hidden = redaction(secrets)
        process = await self._start(argv, env)
        tail: deque[str] = deque(maxlen=self.settings.log_tail_lines)
        reader = asyncio.create_task(read_tail(process, tail, hidden))
        reference = f"local:{process.pid}:{spec.run_id}"
        self.children[reference] = _Child(process, tail, reader, argv, env, hidden)
        return reference

    async def wait(self, spec: JobSpec, reference: str) -> Outcome:
        """Wait for the child (and its retries) to end; kill the group at the timeout."""
        child = self.children[reference]
        while True:  # interrupted, the child stays listed: close() still ends it
            outcome = await self._attempt(spec, child)
            if outcome.state != RunState.FAILED or child.attempts > spec.retries or child.cancelled:
                self.children.pop(reference, None)
                return outcome
            child.attempts += 1
            child.process = await self._start(child.argv, child.env)
            child.reader = asyncio.create_task(read_tail(child.process, child.tail, child.hidden))

    async def _attempt(self, spec: JobSpec, child: _Child) -> Outcome:
        timed_out = False
        try:
            async with asyncio.timeout(spec.timeout_seconds):
                await child.process.wait()
        except TimeoutError:
            timed_out = True
            _kill(child.process)
            await child.process.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await asyncio.shield(child.reader)
        child.reader.cancel()
        code = child.process.returncode
        tail = "\n".join(child.tail) or None
        if child.cancelled:
            return Outcome(RunState.CANCELLED, code, "cancelled on request", tail, child.attempts)
        if timed_out:
            why = f"ran longer than its timeout of {spec.timeout_seconds} s and was killed"
            return Outcome(RunState.TIMED_OUT, code, why, tail, child.attempts)
        if code == 0:
            return Outcome(RunState.SUCCEEDED, 0, None, tail, child.attempts)
        return Outcome(RunState.FAILED, code, f"exited with status {code}", tail, child.attempts)

    async def cancel(self, reference: str) -> None:
        """Kill the child's process group (of another process's child too, once recognised)."""
        child = self.children.get(reference)
        if child is not None:
            child.cancelled = True
            _kill(child.process)
            return
        found = _pid(reference)
        if found is not None and _ours(*found):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(found[0], signal.SIGKILL)

    async def inspect(self, reference: str) -> Outcome | str | None:
        """RUNNING while the run's child lives (here or in another process); None once gone."""
        if reference in self.children:
            return RUNNING
        found = _pid(reference)
        return RUNNING if found is not None and _ours(*found) else None

    async def close(self) -> None:
        """Kill every child still running (the service is stopping); release the secrets."""
        for child in list(self.children.values()):
            child.cancelled = True
            _kill(child.process)
        for child in list(self.children.values()):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_SECONDS):
                    await child.process.wait()
                async with asyncio.timeout(DRAIN_SECONDS):
                    await child.reader  # the pipe closed: no leak
        await self.secrets.close()


def _missing(module: str, python_path: tuple[str, ...] = ()) -> bool:
    """Whether the child could not find the module's top package (searched, never imported)
    in the working directory (`-m` puts it first), `python_path` or this interpreter's path."""
    top = module.partition(".")[0]
    if not top.isidentifier():
        return True
    if top in sys.builtin_module_names:
        return False
    if PathFinder.find_spec(top, [os.getcwd(), *python_path, *sys.path]) is not None:
        return False
    return importlib.util.find_spec(top) is None  # an installed package (editable ones too)


def _pid(reference: str) -> tuple[int, str] | None:
    """The pid and run id of `local:<pid>:<run id>`."""
    kind, _, rest = reference.partition(":")
    pid, _, run_id = rest.partition(":")
    return (int(pid), run_id) if kind == "local" and pid.isdigit() and run_id else None
