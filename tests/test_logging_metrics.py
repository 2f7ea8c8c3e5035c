"""CloudWatch EMF metric lines: 5xx, rate limits, DynamoDB throttles and errors."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo, metrics
from tests.conftest import TEST_TABLE
from tests.test_logging import boom  # noqa: F401  (the URLconf below routes to it)
from tests.test_logging import urlpatterns as failing_urlpatterns

urlpatterns = failing_urlpatterns
handler500 = "hangout.views.server_error"
handler404 = "hangout.views.page_not_found"


@pytest.fixture
def emf(settings, capsys):
    """Turn EMF on and return a function giving the metric lines printed so far."""
    settings.METRICS_EMF = True
    capsys.readouterr()

    def lines() -> list[dict]:
        out = capsys.readouterr().out
        return [json.loads(x) for x in out.splitlines() if x.startswith('{"_aws"')]

    return lines


def metric_names(lines: list[dict]) -> list[str]:
    return [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for line in lines]


def test_nothing_is_printed_when_off(settings, capsys):
    settings.METRICS_EMF = False
    metrics.emit("ServerError", Status="500")
    assert '"_aws"' not in capsys.readouterr().out


def test_emf_shape(emf):
    metrics.emit("RateLimited", Route="lobbies:find")
    [line] = emf()
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "LetsHangOut"
    assert directive["Dimensions"] == [["Route"], []]  # per route, and all routes together
    assert directive["Metrics"] == [{"Name": "RateLimited", "Unit": "Count"}]
    assert line["RateLimited"] == 1
    assert line["Route"] == "lobbies:find"
    assert isinstance(line["_aws"]["Timestamp"], int)


@pytest.mark.urls("tests.test_logging_metrics")
def test_server_error_is_counted(lobby, emf):
    client = Client(raise_request_exception=False)
    assert client.get(f"/l/{lobby.code}/boom/").status_code == 500
    [line] = [x for x in emf() if "ServerError" in x]
    assert line["Status"] == "500"


def test_our_rate_limit_is_counted(client, db, settings, emf):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (1, 60)}
    for _ in range(3):
        client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    lines = [x for x in emf() if "RateLimited" in x]
    assert [x["Route"] for x in lines] == ["lobbies:find", "lobbies:find"]


def test_allauth_rate_limit_is_counted(client, user, settings, emf):
    # allauth answers its "login" limit with a 429 (its "login_failed" limit is a form error).
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}
    for _ in range(3):
        client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    lines = [x for x in emf() if "RateLimited" in x]
    assert [x["Route"] for x in lines] == ["account_login"]


def test_dynamodb_down_counts_errors_and_the_503(organizer_client, lobby, dynamodb_outage, emf):
    with dynamodb_outage():
        response = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    lines = emf()
    errors = [x for x in lines if "DynamoDBError" in x]
    assert [x["Operation"] for x in errors] == ["GetItem"]  # the rev check comes first
    assert [x["Status"] for x in lines if "ServerError" in x] == ["503"]


class ThrottlingDynamo(BaseHTTPRequestHandler):
    """Answers every call as DynamoDB does when a table is over its capacity."""

    calls = 0

    def do_POST(self):  # noqa: N802 - http.server's naming
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput was exceeded",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling_dynamodb(dynamodb_server):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThrottlingDynamo)
    ThrottlingDynamo.calls = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    dynamo.configure(f"http://127.0.0.1:{server.server_address[1]}", TEST_TABLE)
    yield ThrottlingDynamo
    dynamo.configure(dynamodb_server.endpoint_url, TEST_TABLE)
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_throttles_are_counted_per_attempt(client, throttling_dynamodb, emf):
    response = client.get(reverse("lobbies:detail", args=["ABCD2345"]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    lines = emf()
    names = metric_names(lines)
    # Every attempt was throttled: the first and each of PynamoDB's retries.
    assert names.count("DynamoDBThrottle") == throttling_dynamodb.calls >= 2
    assert names.count("DynamoDBError") == 1
    assert {x["Operation"] for x in lines if "DynamoDBThrottle" in x} == {"GetItem"}
    assert [x["Status"] for x in lines if "ServerError" in x] == ["503"]
