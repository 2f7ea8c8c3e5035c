"""CloudWatch Embedded Metric Format lines on stdout, when METRICS_EMF is on.

CloudWatch Logs turns each such line into metric data points, so the app needs no agent and
no API calls. Metrics (namespace LetsHangOut, unit Count):

- ServerError: a response with status 5xx (dimension Status);
- RateLimited: a 429, from our limits or allauth's (dimension Route);
- DynamoDBThrottle: one throttled attempt, even when a retry then succeeded (Operation);
- DynamoDBError: a DynamoDB call that failed for good: outage codes, 5xx, or no answer at all
  (Operation). Failed conditions are the product's rules at work, not errors.

Each metric is also published without dimensions, so one alarm covers all routes/operations.
"""

from __future__ import annotations

import json
import sys
import time

from django.conf import settings

NAMESPACE = "LetsHangOut"
THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}


def emit(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    if not settings.METRICS_EMF:
        return
    dimension_sets = [sorted(dimensions), []] if dimensions else [[]]
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        name: value,
        **dimensions,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


# --- DynamoDB: botocore event hooks on the shared client --------------------------------------


def _error_code(parsed) -> str | None:
    if isinstance(parsed, dict):
        return (parsed.get("Error") or {}).get("Code") or None
    return None


def _on_attempt(response=None, operation=None, **kwargs) -> None:
    """needs-retry fires after every attempt, so throttles that a retry hid are counted too.
    It must return None: a value would tell botocore how long to wait before retrying."""
    if response is None or operation is None:
        return None
    _http, parsed = response
    if _error_code(parsed) in THROTTLE_CODES:
        emit("DynamoDBThrottle", Operation=operation.name)
    return None


def _on_result(http_response=None, parsed=None, model=None, **kwargs) -> None:
    """after-call fires once per call, with the final answer after retries."""
    from letshangout.dynamo import UNAVAILABLE_ERROR_CODES

    status = getattr(http_response, "status_code", 200)
    code = _error_code(parsed)
    if status >= 500 or code in UNAVAILABLE_ERROR_CODES:
        emit("DynamoDBError", Operation=model.name if model else "unknown")


def _on_no_answer(event_name: str = "", **kwargs) -> None:
    """after-call-error: connection refused, timed out, or any other transport failure. This
    event carries no operation model; its name ends with the operation."""
    emit("DynamoDBError", Operation=event_name.rsplit(".", 1)[-1] or "unknown")


def instrument_dynamodb(client) -> None:
    """Register the hooks once per botocore client (the unique ids make this idempotent)."""
    events = client.meta.events
    events.register("needs-retry.dynamodb", _on_attempt, unique_id="lho-metrics-attempt")
    events.register("after-call.dynamodb", _on_result, unique_id="lho-metrics-result")
    events.register("after-call-error.dynamodb", _on_no_answer, unique_id="lho-metrics-error")
