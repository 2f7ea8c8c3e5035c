"""`manage.py dev` (what `make run` serves with) stops the DynamoDB Local it started, whether it
is stopped with Ctrl+C, a closed terminal or a plain `kill`, and no Java outlives it when it, or
the `make` above it, is killed outright."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from letshangout.emulator import local as dynamo_local

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def start_dev(
    tmp_path: Path, web: int, dynamo_port: int, under_shell=False, ignoring_sigint=False
) -> subprocess.Popen:
    """`manage.py dev` as `make run` starts it, in development settings of its own;
    `under_shell`: as the child of a shell that waits for it, as make's recipe shell does;
    `ignoring_sigint`: with SIGINT ignored, as a non-interactive shell starts `make run &`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DYNAMODB_"))
    }
    env.update(
        DJANGO_ENV="development",
        DYNAMODB_LOCAL_PORT=str(dynamo_port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # A server that does not stop in time is sent SIGABRT: its threads' stacks say where.
        PYTHONFAULTHANDLER="1",
    )
    command = [sys.executable, "manage.py", "dev", f"127.0.0.1:{web}"]
    command.append(f"--dynamodb-dir={tmp_path / 'dynamodb'}")
    if under_shell:
        command = ["sh", "-c", '"$@"; echo "dev exited with $?"', "sh", *command]
    if ignoring_sigint:
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(server: subprocess.Popen, signum: int, seconds: float = 20) -> tuple[float, str]:
    """Send `signum` and wait for the server to exit: how long it took, and what it printed.
    A server still running after `seconds` fails the test with its threads' stacks."""
    started = time.monotonic()
    server.send_signal(signum)
    try:
        output = server.communicate(timeout=seconds)[0].decode()
    except subprocess.TimeoutExpired:
        tree = subprocess.run(
            ["ps", "--forest", "-o", "pid,ppid,pgid,stat,etime,time,args", "-p", str(server.pid)]
            + ["--ppid", str(server.pid)],
            capture_output=True,
            text=True,
        ).stdout
        server.send_signal(signal.SIGABRT)
        output = server.communicate(timeout=10)[0].decode()
        pytest.fail(
            f"still running {time.monotonic() - started:.1f} s after {signal.Signals(signum).name}"
            f"\n{tree}\n{output}"
        )
    return time.monotonic() - started, output


def java_under(pid: int) -> int:
    """The pid of the Java process somewhere below `pid` (DynamoDB Local)."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if Path(f"/proc/{child}/comm").read_text().strip() == "java":
            return int(child)
        with contextlib.suppress(LookupError):
            return java_under(int(child))
    raise LookupError(f"no java below {pid}")


def is_running(pid: int) -> bool:
    """The process exists and is no zombie (a container's init may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.no_dynamodb
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_dev_stops_its_dynamodb_local(tmp_path, signum):
    web, dynamo_port = dynamo_local.free_port(), dynamo_local.free_port()
    server = start_dev(tmp_path, web, dynamo_port)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{web}/healthz"), 60)
        assert dynamo_local.is_ready(dynamo_port)
        java = java_under(server.pid)
        took, output = stop(server, signum)
        print(f"{signal.Signals(signum).name}: exited in {took:.2f} s")
        assert not is_running(java)
        assert not dynamo_local.is_ready(dynamo_port)
        assert "DynamoDB Local stopped" in output
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.no_dynamodb
def test_ctrl_c_stops_it_even_when_started_ignoring_sigint(tmp_path):
    """A non-interactive shell starts `make run &` with SIGINT ignored, and Python then raises
    no KeyboardInterrupt: Ctrl+C (or `kill -INT`) did nothing and the test timed out."""
    web, dynamo_port = dynamo_local.free_port(), dynamo_local.free_port()
    server = start_dev(tmp_path, web, dynamo_port, ignoring_sigint=True)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{web}/healthz"), 60)
        java = java_under(server.pid)
        took, output = stop(server, signal.SIGINT)
        print(f"SIGINT, started ignoring it: exited in {took:.2f} s")
        assert not is_running(java)
        assert "DynamoDB Local stopped" in output
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.no_dynamodb
@pytest.mark.parametrize("killed", ["the server", "make above it"])
def test_killed_outright_it_leaves_no_java(tmp_path, killed):
    web, dynamo_port = dynamo_local.free_port(), dynamo_local.free_port()
    server = start_dev(tmp_path, web, dynamo_port, under_shell=killed == "make above it")
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{web}/healthz"), 60)
        assert dynamo_local.is_ready(dynamo_port)
        java = java_under(server.pid)
        server.kill()  # SIGKILL: no handler, no finally
        killed_at = time.monotonic()
        server.wait(timeout=20)
        assert wait_for(lambda: not is_running(java), 5), f"Java {java} outlived it"
        print(f"SIGKILL of {killed}: its Java gone in {time.monotonic() - killed_at:.2f} s")
        assert not dynamo_local.is_ready(dynamo_port)
        assert wait_for(lambda: not answers(f"http://127.0.0.1:{web}/healthz"), 20)
    finally:
        if server.poll() is None:
            server.kill()
