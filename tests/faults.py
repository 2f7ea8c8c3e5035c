"""Fault injection at botocore's door: a planned DynamoDB call fails as DynamoDB would make it
fail (throttled, a transaction cancelled for being busy, the endpoint gone), or something
else happens right before it (the organizer deletes the lobby). PynamoDB then wraps the error
exactly as in production. Used by tests/test_faults.py and the reliability suite's
fault-injection part (tests/reliability/test_faults.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.client import BaseClient
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

BUSY_REASONS = ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded")


def cancelled(reason: str, at: int = -1) -> Callable[[str, dict], Exception]:
    """A TransactWriteItems cancelled with `reason` for the item at `at` (None for the rest):
    busy reasons mean nothing was written."""

    def make(operation: str, kwargs: dict) -> Exception:
        reasons = [{"Code": "None"} for _item in kwargs.get("TransactItems", [])] or [{}]
        reasons[at] = {"Code": reason, "Message": reason}
        response = {
            "Error": {"Code": "TransactionCanceledException", "Message": f"[{reason}]"},
            "CancellationReasons": reasons,
        }
        return ClientError(response, operation)

    return make


def throttled(operation: str, kwargs: dict) -> Exception:
    error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
    return ClientError({"Error": error}, operation)


def unreachable(operation: str, kwargs: dict) -> Exception:
    return EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


def dropped(operation: str, kwargs: dict) -> Exception:
    """The connection closed before any answer: an error with no response at all."""
    return ConnectionClosedError(endpoint_url="http://127.0.0.1:9")


@dataclass
class Plan:
    operation: str  # e.g. "TransactWriteItems", "GetItem", "Query", "*"
    times: int
    error: Callable[[str, dict], Exception] | None = None
    before: Callable[[], object] | None = None


@dataclass
class Faults:
    """faults.fail("GetItem", throttled, times=3) / faults.before("TransactWriteItems", act)."""

    plans: list[Plan] = field(default_factory=list)
    injected: int = 0
    busy: bool = False

    def fail(self, operation: str, error, times: int = 1) -> Faults:
        self.plans.append(Plan(operation, times, error=error))
        return self

    def before(self, operation: str, action: Callable[[], object], times: int = 1) -> Faults:
        self.plans.append(Plan(operation, times, before=action))
        return self

    def clear(self) -> None:
        self.plans.clear()

    def install(self, monkeypatch) -> Faults:
        real = BaseClient._make_api_call
        faults = self

        def make_api_call(client, operation: str, kwargs: dict):
            if client.meta.service_model.service_name == "dynamodb" and not faults.busy:
                plan = next(
                    (p for p in faults.plans if p.times > 0 and p.operation in {operation, "*"}),
                    None,
                )
                if plan is not None:
                    plan.times -= 1
                    faults.injected += 1
                    if plan.before is not None:
                        faults.busy = True
                        try:
                            plan.before()
                        finally:
                            faults.busy = False
                    if plan.error is not None:
                        raise plan.error(operation, kwargs)
            return real(client, operation, kwargs)

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
        return self
