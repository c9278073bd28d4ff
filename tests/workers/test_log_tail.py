"""The log tail's keeper (`python -m workers.log_tail`) as a real process around a real child:
what reaches the container's log, the termination message it leaves, exit statuses, signals."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.jobs.log_tail import HEADER, MESSAGE_BYTES, kept_tail, termination_message
from tests.workers.conftest import ROOT
from workers.log_tail.__main__ import Tail

PRINTS = """
import sys
print("connecting to postgresql://dt_x:s3cret-url@db/warehouse")
print("password is hunter2", file=sys.stderr, flush=True)
for i in range(4):
    print(f"row {i}", flush=True)
sys.exit(3)
"""
WAITS = """
import signal, sys
def stop(number, frame):
    print(f"stopping on {signal.Signals(number).name}", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
signal.pause()
"""


def _keeper(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "workers.log_tail", *arguments]


def _run(message: Path, lines: int, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = _keeper(
        str(lines), "--mask", "PGHOST,PGPASSWORD,ECOPLANE_DATABASE_URL,UNSET",
        "--message", str(message),
        "--", sys.executable, "-c", code,
    )  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_the_log_is_passed_on_masked_and_its_last_lines_left_as_the_message(
    tmp_path: Path,
) -> None:
    message = tmp_path / "termination-log"
    done = _run(
        message, 3, PRINTS,
        PGHOST="db", PGPASSWORD="hunter2",
        ECOPLANE_DATABASE_URL="postgresql://admin:s3cret-url@db/control",
    )  # fmt: skip
    assert done.returncode == 3  # the child's status
    assert done.stdout.splitlines() == [
        # a URL's password on its own; the host is where a run connects, never masked
        "connecting to postgresql://dt_x:***@db/warehouse",
        "password is ***",  # stderr too, in the order written
        "row 0", "row 1", "row 2", "row 3",
    ]  # fmt: skip
    assert message.read_text() == f"{HEADER}\nrow 1\nrow 2\nrow 3"
    assert kept_tail(message.read_text()) == "row 1\nrow 2\nrow 3"


def test_lines_longer_than_a_termination_message_are_left_to_the_log(tmp_path: Path) -> None:
    message = tmp_path / "termination-log"
    long_lines = f"for i in range(50): print(str(i) * {MESSAGE_BYTES // 40})"
    done = _run(message, 50, long_lines)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 50
    assert not message.exists()  # the runner reads the log instead
    silent = _run(message, 50, "pass")
    assert silent.returncode == 0 and message.read_text() == HEADER
    assert kept_tail(message.read_text()) == ""  # printed nothing: no call for the log either


def test_a_child_ended_by_a_signal_exits_as_a_shell_says(tmp_path: Path) -> None:
    done = _run(tmp_path / "m", 5, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert done.returncode == 128 + signal.SIGKILL


def test_sigterm_reaches_the_child_and_its_last_words_are_kept(tmp_path: Path) -> None:
    message = tmp_path / "termination-log"
    keeper = subprocess.Popen(
        _keeper("5", "--message", str(message), "--", sys.executable, "-c", WAITS),
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert keeper.stdout is not None and keeper.stdout.readline() == "ready\n"
        keeper.send_signal(signal.SIGTERM)  # Kubernetes ending the pod
        assert keeper.wait(timeout=60) == 0  # the child stopped as it chose to
    finally:
        keeper.kill()
    assert message.read_text() == f"{HEADER}\nready\nstopping on SIGTERM"


def test_a_command_that_cannot_start_or_a_bad_command_line_is_said(tmp_path: Path) -> None:
    missing = subprocess.run(
        _keeper("5", "--message", str(tmp_path / "m"), "--", "no-such-program-here"),
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 127 and "cannot start no-such-program-here" in missing.stderr
    bad = subprocess.run(_keeper("5"), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "a COMMAND after -- are needed" in bad.stderr


def test_only_a_message_the_keeper_wrote_is_taken_for_the_tail() -> None:
    assert kept_tail("the program's own words") is None
    assert kept_tail(f"{HEADER}er\nclose but not it") is None
    assert kept_tail(None) is None
    assert kept_tail(termination_message(["a", "b"])) == "a\nb"
    assert termination_message(["é" * (MESSAGE_BYTES // 2)]) is None  # bytes count, not letters


def test_a_child_is_drained_to_its_end_when_the_log_has_gone(tmp_path: Path) -> None:
    message = tmp_path / "termination-log"
    keeper = subprocess.Popen(
        _keeper("2", "--message", str(message), "--", sys.executable, "-c",
                "for i in range(20000): print(f'line {i} ' + 'x' * 40)"),
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert keeper.stdout is not None
    keeper.stdout.close()  # the container's log is gone: ~1 MB more than a pipe holds follows
    try:
        assert keeper.wait(timeout=60) == 0
    finally:
        keeper.kill()
    assert message.read_text().splitlines()[1:] == [f"line {i} " + "x" * 40 for i in (19998, 19999)]


def test_a_value_cut_between_two_pieces_of_a_long_line_is_masked(tmp_path: Path) -> None:
    cut = "import sys; sys.stdout.write('x' * 65533 + 'hunter2' + 'y' * 100000 + '\\nend\\n')"
    done = _run(tmp_path / "m", 3, cut, PGPASSWORD="hunter2")
    assert done.returncode == 0 and "hunter" not in done.stdout and "nter2" not in done.stdout
    assert done.stdout == "x" * 65533 + "***" + "y" * 100000 + "\nend\n"  # nothing else changed


def test_the_keeper_holds_no_more_of_a_line_than_a_message_could_take(
    capfdbinary: pytest.CaptureFixture[bytes],
) -> None:
    long_line = b"y" * (3 * MESSAGE_BYTES) + b"\n"
    tail = Tail(io.BytesIO(long_line * 3 + b"short\n"), 10, ())
    tail._copy()  # the thread's work, here
    assert capfdbinary.readouterr().out == long_line * 3 + b"short\n"  # the log: all of it
    assert [len(line) for line in tail.last()] == [MESSAGE_BYTES + 1] * 3 + [5]
    assert termination_message(tail.last()) is None  # as with the whole lines
