"""The benchmark's baseline: what one request of this app costs with almost no work in it.

Served only when BENCHMARK_ROUTES is on (`make bench` sets it). It goes through the same
middleware as every page, makes one DynamoDB GetItem and renders a trivial template, so the
benchmark can report each real page as a ratio to it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lobbies.store import lobby_rev


@require_GET
def baseline(request: HttpRequest, code: str) -> HttpResponse:
    rev = lobby_rev(code)
    return render(request, "bench/baseline.html", {"rev": rev}, status=200 if rev else 404)
