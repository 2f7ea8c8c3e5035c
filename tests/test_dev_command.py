"""`manage.py dev` (what `make run` serves with) stops the DynamoDB Local it started, whether it
is stopped with Ctrl+C, a closed terminal or a plain `kill`, and no Java outlives it when it, or
the `make` above it, is killed outright."""

from __future__ import annotations

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


def start_dev(tmp_path: Path, web: int, dynamo_port: int, under_shell=False) -> subprocess.Popen:
    """`manage.py dev` as `make run` starts it, in development settings of its own;
    `under_shell`: as the child of a shell that waits for it, as make's recipe shell does."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DYNAMODB_"))
    }
    env.update(
        DJANGO_ENV="development",
        DYNAMODB_LOCAL_PORT=str(dynamo_port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    command = [sys.executable, "manage.py", "dev", f"127.0.0.1:{web}"]
    command.append(f"--dynamodb-dir={tmp_path / 'dynamodb'}")
    if under_shell:
        command = ["sh", "-c", '"$@"; echo "dev exited with $?"', "sh", *command]
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


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
        server.send_signal(signum)
        server.wait(timeout=20)
        assert wait_for(lambda: not dynamo_local.is_ready(dynamo_port), 10)
        assert b"DynamoDB Local stopped" in server.stdout.read()
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
        server.kill()  # SIGKILL: no handler, no finally
        server.wait(timeout=20)
        assert wait_for(lambda: not dynamo_local.is_ready(dynamo_port), 20), "Java outlived it"
        assert wait_for(lambda: not answers(f"http://127.0.0.1:{web}/healthz"), 20)
    finally:
        if server.poll() is None:
            server.kill()
