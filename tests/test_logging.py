"""The JSON log lines: one per request with its fields, errors with stack traces, and no
codes, tokens or emails anywhere in the output."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from http import HTTPStatus
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path, reverse

from hangout import urls as site_urls
from letshangout.logging import JsonFormatter, scrub
from lobbies.codes import display_code

BASE_DIR = Path(__file__).resolve().parent.parent


def boom(request, code):
    raise RuntimeError(f"kaput while handling lobby {code} for sam@example.com")


# This module doubles as a URLconf: the site's routes plus one that fails.
urlpatterns = [path("l/<str:code>/boom/", boom, name="boom"), *site_urls.urlpatterns]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.fixture
def log_output():
    """Everything logged while the test runs, formatted exactly as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in lines_of(stream) if line["logger"] == "letshangout.request"]


# --- the request line ------------------------------------------------------------------------


def test_one_line_per_request_with_every_field(organizer_client, lobby, log_output):
    response = organizer_client.get(
        reverse("lobbies:detail", args=[lobby.code]), HTTP_X_REQUEST_ID="req-123"
    )
    assert response.status_code == HTTPStatus.OK
    assert response["X-Request-ID"] == "req-123"
    [line] = request_lines(log_output)
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert line["level"] == "INFO"
    assert line["request_id"] == "req-123"
    assert line["method"] == "GET"
    assert line["route"] == "lobbies:detail"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["dynamodb_calls"] >= 1
    assert line["dynamodb_ms"] > 0
    assert line["user"] == "guest"
    assert lobby.code not in json.dumps(line)


def test_request_id_from_the_load_balancer_or_made(client, db, log_output):
    trace = "Root=1-67891233-abcdef012345678912345678"
    client.get(reverse("lobbies:home"), HTTP_X_AMZN_TRACE_ID=trace)
    client.get(reverse("lobbies:home"))
    client.get(reverse("lobbies:home"), HTTP_X_REQUEST_ID="bad id\nwith newline")
    first, second, third = request_lines(log_output)
    assert first["request_id"] == trace
    assert re.fullmatch(r"[0-9a-f]{32}", second["request_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", third["request_id"])
    assert second["request_id"] != third["request_id"]
    assert first["dynamodb_calls"] == 0


def test_signed_in_user_is_logged_by_id(client, user, log_output):
    client.force_login(user)
    client.get(reverse("lobbies:home"))
    [line] = request_lines(log_output)
    assert line["user"] == str(user.pk)
    assert line["route"] == "lobbies:home"


def test_unrouted_path_logs_no_route_and_no_path(client, db, log_output):
    client.get("/l/ABCD2345/not/a/page/")
    [line] = request_lines(log_output)
    assert line["status"] == 404
    assert line["route"] is None
    assert "ABCD2345" not in log_output.getvalue()


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.urls("tests.test_logging")
def test_errors_are_json_with_stack_traces_and_nothing_personal(lobby, log_output):
    client = Client(raise_request_exception=False)
    response = client.get(f"/l/{lobby.code}/boom/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    errors = [line for line in lines_of(log_output) if line["level"] == "ERROR"]
    [error] = [line for line in errors if line["logger"] == "django.request"]
    assert error["error"]["type"] == "RuntimeError"
    assert "Traceback" in error["error"]["stack"]
    assert "kaput while handling lobby <code> for <email>" in error["error"]["stack"]
    assert error["message"] == "Internal Server Error: /l/<code>/boom/"
    [line] = request_lines(log_output)
    assert line["status"] == 500 and line["route"] == "boom"
    assert lobby.code not in log_output.getvalue()
    assert "sam@example.com" not in log_output.getvalue()


# --- nothing secret --------------------------------------------------------------------------


def test_no_codes_tokens_or_emails_in_any_line(client, lobby, user, log_output, join_as):
    code = lobby.code
    _guest, guest = join_as(lobby, "Gus")
    token_link = reverse("lobbies:personal_link", args=[code, "not-the-real-token-123"])
    client.get(reverse("lobbies:find"), {"code": display_code(code).lower()})
    client.get(reverse("lobbies:detail", args=[code]))
    client.post(reverse("lobbies:join", args=[code]), {"display_name": "Newcomer"})
    client.get(token_link)
    client.get(reverse("lobbies:detail", args=["ZZZZ9999"]))
    client.post(reverse("account_login"), {"login": user.email, "password": "wrong password"})
    client.post(reverse("account_login"), {"login": "nobody@example.org", "password": "x"})
    client.post(reverse("account_reset_password"), {"email": user.email})
    output = log_output.getvalue()
    assert len(request_lines(log_output)) == 8
    for secret in (
        code,
        code.lower(),
        display_code(code),
        display_code(code).lower(),
        "ZZZZ9999",
        "not-the-real-token-123",
        guest.participant_id,
        user.email,
        "nobody@example.org",
        "wrong password",
    ):
        assert secret not in output, secret


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Internal Server Error: /l/ABCD2345/join/", "Internal Server Error: /l/<code>/join/"),
        ("/l/abcd-2345/me/s3cr3t-t0ken/", "/l/<code>/me/<token>/"),
        ("Failed on LOBBY#ABCD2345, retrying", "Failed on LOBBY#<code>, retrying"),
        ("GET /find/?code=abcd2345&x=1", "GET /find/?code=<redacted>&x=1"),
        ("mail to Sam.Smith+x@mail.example.co.uk failed", "mail to <email> failed"),
        ("lobby ABCD-2345 and ABCD2345", "lobby <code> and <code>"),
        ("request 0f1e2d3c4b5a69788796a5b4c3d2e1f0 GetItem", None),
        ("route lobbies:detail status 200", None),
        ("Root=1-67891233-abcdef012345678912345678", None),
    ],
)
def test_scrub(text, expected):
    assert scrub(text) == (text if expected is None else expected)


def test_fields_named_like_secrets_are_dropped():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    record.password = "hunter2"
    record.email = "sam@example.com"
    record.note = "see /l/ABCD2345/"
    line = json.loads(JsonFormatter().format(record))
    assert "password" not in line and "email" not in line
    assert line["note"] == "see /l/<code>/"


def test_lines_go_to_stdout(tmp_path):
    """The configured handler, in a fresh process: JSON on stdout, nothing on stderr."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('letshangout.test').warning('hello %s', 'there', extra={'n': 1})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "letshangout.settings", "DJANGO_ENV": "test"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr == ""
    [line] = [json.loads(x) for x in done.stdout.splitlines()]
    assert line["message"] == "hello there"
    assert line["n"] == 1
    assert line["level"] == "WARNING"
