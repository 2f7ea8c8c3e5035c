"""`manage.py dynamo_local` stops its emulator on Ctrl+C and on `kill`, and a process that
started DynamoDB Local through `dynamo_local.start()` (this command, `manage.py dev`, the test
fixture in a pytest worker), killed outright, leaves no Java behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from letshangout.emulator import local as dynamo_local
from tests.test_dev_command import is_running, java_under, stop, wait_for

BASE_DIR = Path(__file__).resolve().parent.parent


def start_emulator(port: int) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_ENV="development", PYTHONFAULTHANDLER="1")
    return subprocess.Popen(
        [sys.executable, "manage.py", "dynamo_local", "--in-memory", f"--port={port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


class Output:
    """What a running command has printed so far, read without blocking."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.text = ""
        os.set_blocking(process.stdout.fileno(), False)

    def says(self, words: str) -> bool:
        chunk = self.process.stdout.read()
        self.text += (chunk or b"").decode()
        return words in self.text

    def ready(self) -> bool:
        """It said it is ready, or it exited (then the test fails with what it said)."""
        return self.says("DynamoDB Local ready at") or self.process.poll() is not None


@pytest.mark.no_dynamodb
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_it_stops_its_emulator(signum):
    port = dynamo_local.free_port()
    command = start_emulator(port)
    output = Output(command)
    try:
        # Its handlers are set by then; a signal during the start is start()'s own case.
        assert wait_for(output.ready, 90), output.text
        assert command.poll() is None, output.text
        java = java_under(command.pid)
        took, rest = stop(command, signum)
        print(f"{signal.Signals(signum).name}: exited in {took:.2f} s")
        assert not is_running(java)
        assert "DynamoDB Local stopped." in rest
    finally:
        if command.poll() is None:
            command.kill()


@pytest.mark.no_dynamodb
def test_killed_outright_it_leaves_no_java():
    port = dynamo_local.free_port()
    command = start_emulator(port)
    output = Output(command)
    try:
        assert wait_for(output.ready, 90), output.text
        assert command.poll() is None, output.text
        java = java_under(command.pid)
        command.kill()
        killed_at = time.monotonic()
        assert wait_for(lambda: not is_running(java), 5), f"Java {java} outlived it"
        print(f"SIGKILL: its Java gone in {time.monotonic() - killed_at:.2f} s")
    finally:
        if command.poll() is None:
            command.kill()
        command.wait()
