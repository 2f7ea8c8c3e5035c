"""/healthz (liveness, before host checks and HTTPS redirects) and /readyz (DynamoDB and the
database, with short timeouts, saying which failed)."""

from __future__ import annotations

import socket
import time
from http import HTTPStatus

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import reverse

from letshangout import dynamo
from tests.conftest import TEST_TABLE


@pytest.fixture
def production_like(settings):
    """What production sets: one real host name, HTTPS redirects, HSTS."""
    settings.ALLOWED_HOSTS = ["letshangout.example"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600


@pytest.fixture
def dynamodb_hanging(dynamodb_server):
    """A DynamoDB that accepts connections and never answers (a stuck network path)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    dynamo.configure(f"http://127.0.0.1:{listener.getsockname()[1]}", TEST_TABLE)
    yield
    dynamo.configure(dynamodb_server.endpoint_url, TEST_TABLE)
    listener.close()


# --- /healthz --------------------------------------------------------------------------------


def test_healthz_answers_the_load_balancer_by_ip_over_http(client, production_like):
    response = client.get("/healthz", HTTP_HOST="10.0.12.34:8000")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    # The same request to any other page is refused: the host check and redirect are on.
    assert client.get("/", HTTP_HOST="10.0.12.34:8000").status_code == HTTPStatus.BAD_REQUEST
    other = client.get("/", HTTP_HOST="letshangout.example")
    assert other.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert other["Location"].startswith("https://letshangout.example/")


def test_healthz_touches_no_dependency(client, dynamodb_down, monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("/healthz must not use the database")

    with monkeypatch.context() as patch, dynamo.count_calls() as calls:
        patch.setattr(BaseDatabaseWrapper, "cursor", no_database)
        response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == []  # so it cannot wait on DynamoDB either


# --- /readyz ---------------------------------------------------------------------------------


def test_readyz_when_all_is_well(client, db):
    response = client.get(reverse("readyz"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "failed": []}


def test_readyz_behind_the_proxy_in_production(client, db, production_like):
    response = client.get(reverse("readyz"), HTTP_HOST="letshangout.example")
    assert response.status_code == HTTPStatus.OK  # plain HTTP: exempt from the HTTPS redirect
    home = client.get(reverse("lobbies:home"), HTTP_HOST="letshangout.example")
    assert home.status_code == HTTPStatus.MOVED_PERMANENTLY


def test_readyz_names_dynamodb_when_it_is_down_then_recovers(client, db, dynamodb_outage):
    with dynamodb_outage():
        started = time.monotonic()
        response = client.get(reverse("readyz"))
        elapsed = time.monotonic() - started
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "failed": ["dynamodb"]}
    assert elapsed < 3
    assert client.get(reverse("readyz")).status_code == HTTPStatus.OK


def test_readyz_does_not_wait_for_a_hanging_dynamodb(client, db, dynamodb_hanging):
    started = time.monotonic()
    response = client.get(reverse("readyz"))
    elapsed = time.monotonic() - started
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["failed"] == ["dynamodb"]
    # readyz gives up after 2.5 s; PynamoDB alone would wait 3 x 2 s read timeouts. The bound
    # sits between the two, with room for a loaded CI machine.
    assert elapsed < 5.5


def test_readyz_names_the_database_when_it_is_down(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", broken)
        response = client.get(reverse("readyz"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable", "failed": ["database"]}


def test_readyz_is_get_only(client, db):
    assert client.post(reverse("readyz")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
