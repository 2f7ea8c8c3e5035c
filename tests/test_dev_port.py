"""Two checkouts on one machine: `make run` never uses, or silently dies on, a port another
DynamoDB Local holds. It starts its own on a free port and says which."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from letshangout.emulator import local as dynamo_local
from tests.test_dev_command import answers, start_dev, stop, wait_for

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def taken_port():
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.no_dynamodb
def test_starting_on_a_taken_port_fails_loudly_at_once(taken_port):
    started = time.monotonic()
    with pytest.raises(dynamo_local.DynamoLocalError, match="already taken"):
        dynamo_local.start(taken_port)
    assert time.monotonic() - started < 5


@pytest.mark.no_dynamodb
def test_dev_picks_a_free_port_and_says_which(tmp_path, taken_port):
    web = dynamo_local.free_port()
    server = start_dev(tmp_path, web, taken_port)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{web}/healthz"), 60)
        # The app really talks to its own emulator: a page that reads DynamoDB works.
        assert answers(f"http://127.0.0.1:{web}/readyz")
        took, output = stop(server, signal.SIGINT)
        print(f"SIGINT: exited in {took:.2f} s")
        assert f"Port {taken_port} is taken" in output
        assert "using port" in output
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.no_dynamodb
def test_dynamodb_local_moves_off_the_apps_own_port(tmp_path):
    """`manage.py dev 127.0.0.1:8765` where 8765 is also DynamoDB Local's port."""
    port = dynamo_local.free_port()
    server = start_dev(tmp_path, port, port)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/readyz"), 60)
        took, output = stop(server, signal.SIGINT)
        print(f"SIGINT: exited in {took:.2f} s")
        assert "already in use" not in output
        assert f"Port {port} is the app's" in output
        assert "using port" in output
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.no_dynamodb
def test_a_taken_app_port_is_said_before_anything_starts(tmp_path, taken_port):
    server = start_dev(tmp_path, taken_port, dynamo_local.free_port())
    try:
        output = server.communicate(timeout=60)[0].decode()
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode != 0
    assert f"Port {taken_port} is already in use" in output
    assert "LetsHangOut is at" not in output
    assert "Starting DynamoDB Local" not in output
