"""Request-level plumbing: health checks, one log line per request, DynamoDB
outages."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from letshangout import dynamo, metrics
from letshangout.renders import count_renders

log = logging.getLogger("letshangout.request")

RETRY_AFTER_SECONDS = 5
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=;/+-]{1,128}$")


class HealthCheckMiddleware:
    """/healthz answers before host checks and HTTPS redirects: the load balancer calls it by
    IP over plain HTTP. It touches nothing, so it says only that the process is alive."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        return self.get_response(request)


def request_id_of(request: HttpRequest) -> str:
    for header in ("HTTP_X_REQUEST_ID", "HTTP_X_AMZN_TRACE_ID"):
        value = request.META.get(header, "")
        if _REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """One JSON line per request: route name, never the raw path (it holds lobby codes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_of(request)
        # Cheap and idempotent; botocore may have replaced the client since the last request.
        metrics.instrument_dynamodb(dynamo.botocore_client())
        started = time.perf_counter()
        with dynamo.count_calls() as calls, count_renders() as renders:
            response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request.request_id
        self._log(request, response, duration_ms, calls, renders)
        return response

    @staticmethod
    def _log(request, response, duration_ms: float, calls: dynamo.CallStats, renders) -> None:
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        log.info(
            "request",
            extra={
                "request_id": request.request_id,
                "method": request.method,
                "route": match.view_name if match else None,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 2),
                "dynamodb_calls": calls.count,
                "dynamodb_ms": round(calls.seconds * 1000, 2),
                "renders": dict(renders),
                "user": str(user.pk) if user is not None and user.is_authenticated else "guest",
            },
        )
        if response.status_code >= 500:
            metrics.emit("ServerError", Status=str(response.status_code))
        elif response.status_code == 429:
            # Here rather than in the limiter, so allauth's own limits are counted too.
            metrics.emit("RateLimited", Route=(match.view_name if match else None) or "unknown")


class DynamoUnavailableMiddleware:
    """DynamoDB still failing after PynamoDB's retries: a 503 page that says to try again.
    Nothing is cached about the failure, so the next request tries afresh and the app
    recovers by itself when DynamoDB answers again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not dynamo.is_unavailable(exception):
            return None
        # The failed calls themselves are counted by the botocore hooks (letshangout.metrics).
        log.warning("dynamodb unavailable", exc_info=exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
