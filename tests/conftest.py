"""Fixtures shared by every test: DynamoDB Local, a clean table per test, people and clients."""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from letshangout import dynamo
from letshangout.emulator import local as dynamo_local
from letshangout.emulator.rules import RulesProxy
from lobbies import services
from lobbies.people import identity
from lobbies.services import LobbySettings
from lobbies.store import forget_snapshots, load_lobby
from tests import aws_calls
from tests.factories import make_settings

TEST_TABLE = "letshangout-test"


# --- Every AWS call the suite makes, checked against the IAM roles at the end (tests/aws_calls.py)


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        config.aws_calls_dir = Path(config.workerinput["aws_calls_dir"])
    else:
        config.aws_calls_dir = Path(tempfile.mkdtemp(prefix="letshangout-aws-calls-"))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: each worker writes its calls where the controller reads them."""
    node.workerinput["aws_calls_dir"] = str(node.config.aws_calls_dir)


@pytest.fixture(scope="session", autouse=True)
def record_aws_calls(request):
    template = aws_calls.load_template()
    with aws_calls.recording(aws_calls.migrate_commands(template)) as calls:
        yield calls
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    aws_calls.save(calls, request.config.aws_calls_dir / f"{worker}.json")


def pytest_sessionfinish(session):
    """Once, after every worker: a call the roles refuse fails the run, as it would on AWS."""
    if hasattr(session.config, "workerinput"):
        return
    directory = session.config.aws_calls_dir
    calls = aws_calls.load(directory.glob("*.json"))
    shutil.rmtree(directory, ignore_errors=True)
    problems = aws_calls.refused(calls, aws_calls.load_template())
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.section("AWS calls the IAM roles refuse", sep="=", red=True, bold=True)
        for problem in problems:
            reporter.line(problem, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@dataclass
class RulesEndpoint:
    """DynamoDB Local behind the proxy that enforces DynamoDB's rules (dynamo_rules.py):
    every test, and every process a test starts, talks to `endpoint_url`, the proxy."""

    local: dynamo_local.DynamoLocal
    proxy: RulesProxy

    @property
    def endpoint_url(self) -> str:
        return self.proxy.endpoint_url


@pytest.fixture(scope="session")
def dynamodb_server():
    """One in-memory DynamoDB Local for the whole run, on a free port, behind the rules."""
    local = dynamo_local.start()
    proxy = RulesProxy(local.endpoint_url, hold_ms=0)
    proxy.start()
    dynamo.configure(proxy.endpoint_url, TEST_TABLE)
    yield RulesEndpoint(local, proxy)
    proxy.stop()
    local.stop()


@pytest.fixture(autouse=True)
def dynamodb(request, dynamodb_server, settings):
    """Every test starts from an empty table (pure unit tests skip this by marker)."""
    if "no_dynamodb" in request.keywords:
        yield None
        return
    dynamodb_server.proxy.hold_ms = 0  # a test that holds transactions longer says so
    settings.DYNAMODB_ENDPOINT_URL = dynamodb_server.endpoint_url
    settings.DYNAMODB_TABLE = TEST_TABLE
    dynamo.configure(dynamodb_server.endpoint_url, TEST_TABLE)
    dynamo.create_table()
    dynamo.truncate_table()
    forget_snapshots()  # codes and revs start over with the table
    yield dynamodb_server


@pytest.fixture
def dynamodb_rules(dynamodb) -> RulesProxy:
    """The proxy in front of DynamoDB Local: `hold_ms`, `hold_next(operation)`."""
    return dynamodb.proxy


@pytest.fixture
def dynamodb_outage(dynamodb_server):
    """`with dynamodb_outage():` the entities talk to a port nobody listens on, then come back."""

    @contextmanager
    def outage():
        dynamo.configure(f"http://127.0.0.1:{dynamo_local.free_port()}", TEST_TABLE)
        try:
            yield
        finally:
            dynamo.configure(dynamodb_server.endpoint_url, TEST_TABLE)

    return outage


@pytest.fixture
def dynamodb_down(dynamodb_outage):
    """DynamoDB unreachable for the whole test."""
    with dynamodb_outage():
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's LocaleMiddleware activates the
    visitor's language in this thread and nothing deactivates it, so an Arabic page in one
    test would otherwise translate the next test's direct calls."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Tests of rate limits set their own; the rest should never hit one."""
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, (10000, 60))


@pytest.fixture
def lobby_settings() -> LobbySettings:
    return make_settings()


@pytest.fixture
def organizer_client(db) -> Client:
    return Client()


@pytest.fixture
def lobby(db, organizer_client, lobby_settings):
    """A lobby created through the service, with the organizer seated in organizer_client."""
    membership = services.create_lobby(lobby_settings, "Olivia", None)
    seat_client(organizer_client, membership.participant.code, membership.participant)
    return load_lobby(membership.participant.code)


def seat_client(client: Client, code: str, participant) -> None:
    """Put a participant's seat into a test client's session, as joining would."""
    session = client.session
    seats = dict(session.get(identity.SESSION_KEY, {}))
    seats[code] = participant.participant_id
    session[identity.SESSION_KEY] = seats
    session.save()
    # Signed-cookie sessions: the session is the cookie, so the client keeps the new one.
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key


@pytest.fixture
def join_as(db):
    """join_as(snapshot, name) -> (client, participant) for a new guest in the lobby."""

    def join(snapshot, name: str):
        client = Client()
        membership = services.join_lobby(load_lobby(snapshot.code), name, None)
        seat_client(client, snapshot.code, membership.participant)
        return client, membership.participant

    return join


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(
        username="sam", email="sam@example.com", password="correct horse battery"
    )


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
