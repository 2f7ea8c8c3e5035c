"""Site-wide views: readiness and the error pages in the site's look."""

from __future__ import annotations

import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from lobbies.store import table_is_reachable

log = logging.getLogger(__name__)


# The load balancer gives a check a few seconds; a hung dependency must not hold the answer.
READY_TIMEOUT_SECONDS = 2.5
# Few workers: a check stuck in a dead socket holds one until its own timeout; when all are
# stuck, later checks time out in the queue, which is the right answer ("not ready").
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: DynamoDB and the database both answer, each within a short deadline;
    the answer names what failed."""
    started = time.monotonic()
    futures = {
        name: _checks.submit(contextvars.copy_context().run, check)
        for name, check in (("dynamodb", _check_dynamodb), ("database", _check_database))
    }
    failed = []
    for name, future in futures.items():
        remaining = max(0.0, READY_TIMEOUT_SECONDS - (time.monotonic() - started))
        try:
            ok = future.result(timeout=remaining)
        except FutureTimeout:
            log.warning("readiness: %s did not answer in time", name)
            ok = False
        if not ok:
            failed.append(name)
    status = HTTPStatus.SERVICE_UNAVAILABLE if failed else HTTPStatus.OK
    return JsonResponse(
        {"status": "unavailable" if failed else "ok", "failed": failed}, status=status
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico where a page names no icon (a download, an old admin
    page): the site's icon instead of a 404 in the logs."""
    return redirect(static("img/favicon.svg"))


def _check_dynamodb() -> bool:
    try:
        table_is_reachable()
    except Exception:
        log.warning("readiness: dynamodb failed", exc_info=True)
        return False
    return True


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        log.warning("readiness: database failed", exc_info=True)
        return False
    finally:
        # This runs in a pool thread, where no request_finished signal closes connections.
        connection.close()
    return True


def _error_page(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request, exception=None):
    return _error_page(request, 400)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else None
    return _error_page(request, 403, message)


def page_not_found(request, exception=None):
    # Our own Http404s carry a message written for users; the URL resolver's do not.
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else None
    return _error_page(request, 404, message)


def server_error(request):
    try:
        return _error_page(request, 500)
    except Exception:
        # Whatever broke the request (the database, a template) may break the full page too;
        # the plain page needs no context, no database and no other template.
        log.exception("rendering the 500 page failed")
        return HttpResponse(loader.get_template("500_plain.html").render(), status=500)
