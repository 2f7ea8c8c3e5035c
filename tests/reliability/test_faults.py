"""(e) Injected faults: DynamoDB trouble and a lobby deleted mid-request, on every write and
read of a lobby, never give a 500.

Each case puts its fault at botocore's door (tests/faults.py), so PynamoDB wraps it as in
production: transactions cancelled for being busy (TransactionConflict, ThrottlingError,
ProvisionedThroughputExceeded) on every try, reads throttled, the endpoint unreachable, and
the organizer deleting the lobby right before the request's own write. A 503 with
Retry-After, a 404, a 409 or the form's message are all fine; a 500 is not.

Marked `reliability`: run by scripts/reliability.py (`make reliability`, and a subset in
`make reliability-ci`), not by `make test`. RELIABILITY_FAULTS_REPORT names a JSON file for
the summary.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

import pytest
from django.urls import reverse

from letshangout import dynamo
from lobbies.store import delete_collection
from tests.faults import Faults, cancelled, throttled, unreachable
from tests.test_faults import WRITES, faults, scene  # noqa: F401 - fixtures

pytestmark = pytest.mark.reliability

REPORT = os.environ.get("RELIABILITY_FAULTS_REPORT")
STATS: dict = {"cases": defaultdict(Counter), "injected": 0}


def _busy(reason: str):
    def arm(plan: Faults, code: str) -> None:
        plan.fail("TransactWriteItems", cancelled(reason), times=dynamo.TRANSACTION_TRIES)
        plan.fail("DeleteItem", throttled, times=50)

    return arm


def _reads(error):
    def arm(plan: Faults, code: str) -> None:
        for operation in ("GetItem", "Query", "BatchGetItem"):
            plan.fail(operation, error, times=50)

    return arm


def _gone(plan: Faults, code: str) -> None:
    plan.fail("*", unreachable, times=200)


def _deleted(plan: Faults, code: str) -> None:
    plan.before("TransactWriteItems", lambda: delete_collection(code))
    plan.before("DeleteItem", lambda: delete_collection(code))


FAULTS = {
    "TransactionConflict": _busy("TransactionConflict"),
    "ThrottlingError": _busy("ThrottlingError"),
    "ProvisionedThroughputExceeded": _busy("ProvisionedThroughputExceeded"),
    "reads throttled": _reads(throttled),
    "endpoint unreachable": _gone,
    "lobby deleted meanwhile": _deleted,
}
READS = ["lobbies:detail", "lobbies:group", "lobbies:edit", "voting:settle", "lobbies:timezone"]
# `make reliability-ci` (RELIABILITY_FAULTS_SUBSET=1): one busy reason, a read fault and the
# delete race on every write; `make reliability` runs every fault.
WRITE_FAULTS = (
    ["ThrottlingError", "reads throttled", "lobby deleted meanwhile"]
    if os.environ.get("RELIABILITY_FAULTS_SUBSET")
    else list(FAULTS)
)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if REPORT:
        data = {
            "cases": {name: dict(statuses) for name, statuses in STATS["cases"].items()},
            "injected": STATS["injected"],
        }
        with open(REPORT, "w") as out:
            json.dump(data, out)


def _record(fault: str, send, plan: Faults) -> int:
    try:
        status = send().status_code
    except Exception:
        status = 500  # the test client re-raises what would have been a 500
        raise
    finally:
        STATS["cases"][fault][str(status)] += 1
        STATS["injected"] += plan.injected
    return status


@pytest.mark.django_db
@pytest.mark.parametrize("fault", WRITE_FAULTS)
@pytest.mark.parametrize("write", WRITES)
def test_a_write_under_a_fault_is_never_a_500(scene, faults, fault, write):  # noqa: F811
    send = scene.writes()[write]
    FAULTS[fault](faults, scene.code)
    assert _record(fault, send, faults) != 500


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["reads throttled", "endpoint unreachable"])
@pytest.mark.parametrize("page", READS)
def test_a_page_under_a_fault_is_a_503(scene, faults, fault, page):  # noqa: F811
    FAULTS[fault](faults, scene.code)
    url = reverse(page, args=[scene.code])
    status = _record(fault, lambda: scene.organizer.get(url), faults)
    assert status == 503
