"""Sliding-window rate limits per client IP, in the shared cache so they hold across processes
and containers (the database cache table by default, Redis when CACHE_URL names it).

Counts live in fixed windows, but the previous window still weighs on the current one in
proportion to how much of it the sliding window covers. Without that, someone could spend
the whole allowance in the last second of a window and again in the first second of the next.

Counting is exact under concurrency with either backend. Django's `cache.incr` is a read and
a write on the database cache, so two processes can both read 7 and both write 8; instead each
counted request claims the next numbered slot with `cache.add`, which is atomic everywhere (an
INSERT on a primary key, Redis SET NX). At most `limit` requests per window get a slot.

Limits are per client IP as seen through TRUSTED_PROXY_COUNT proxies, IPv6 per /64 (one
subscriber's whole prefix, as allauth does), so rotating addresses inside it does not help.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

log = logging.getLogger(__name__)

IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, trusting only TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the client is the
    entry that many places from the right; anything further left is client-supplied and
    ignored. IPv6 addresses stand for their /64.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    candidate = remote
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    return _bucket(candidate) or _bucket(remote) or "unknown"


def _bucket(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


@dataclass(frozen=True)
class _Window:
    key: str  # this window's count (a hint) and numbered slots, "<key>#<n>"
    previous: str  # the last window's count
    overlap: float  # share of the last window the sliding window still covers
    limit: int
    period: int


def _window(request: HttpRequest, name: str, key: str | None = None) -> _Window:
    """The named limit's current window, for `key` (a user, a browser) or the client IP."""
    limit, period = settings.RATE_LIMITS[name]
    now = time.time()
    number = int(now // period)
    prefix = f"rl:{name}:{key or client_ip(request)}"
    return _Window(
        key=f"{prefix}:{number}",
        previous=f"{prefix}:{number - 1}",
        overlap=1 - (now - number * period) / period,
        limit=limit,
        period=period,
    )


def _kept_for(period: int) -> int:
    """Counts outlive their window by a whole period: the next window still reads them."""
    return 2 * period + 1


def _claim(window: _Window) -> int | None:
    """Take the lowest free slot this window may still hand out and return its number, or
    None when all are taken. The key itself holds a hint of how many are taken, so a request
    usually needs one read (both windows' counts) and one add."""
    counts = cache.get_many([window.key, window.previous])
    carried = math.ceil(counts.get(window.previous, 0) * window.overlap)
    limit = max(window.limit - carried, 0)
    taken = counts.get(window.key, 0)
    timeout = _kept_for(window.period)
    while taken < limit:
        taken += 1
        slot = f"{window.key}#{taken}"
        if cache.add(slot, 1, timeout=timeout):
            cache.set(window.key, taken, timeout=timeout)
            return taken
        if cache.get(slot) is None:
            # The database cache answers a failed INSERT ("database is locked") with False,
            # as if the slot were taken; a slot that is not there was never taken.
            raise CacheFailed(slot)
    cache.set(window.key, taken, timeout=timeout)
    return None


class CacheFailed(Exception):
    """The cache did not store a slot it had no reason to refuse."""


def _release(key: str, slot: int, period: int) -> None:
    """Give a slot back (the request did not count); the hint moves down so it is reused."""
    cache.delete(f"{key}#{slot}")
    if (cache.get(key) or 0) >= slot:
        cache.set(key, slot - 1, timeout=_kept_for(period))


_NO_SLOT_NEEDED = 0  # the cache failed: let the request through, nothing to give back


def _take(request: HttpRequest, name: str, key: str | None = None) -> tuple[str, int, int | None]:
    try:
        window = _window(request, name, key)
        return window.key, window.period, _claim(window)
    except Exception:
        # A cache outage must not lock everyone out; it is logged and the request goes on.
        log.warning("rate limit cache unavailable", exc_info=True)
        return "", 0, _NO_SLOT_NEEDED


def _give_back(key: str, slot: int, period: int) -> None:
    if slot == _NO_SLOT_NEEDED:
        return
    try:
        _release(key, slot, period)
    except Exception:
        log.warning("rate limit cache unavailable", exc_info=True)


def consume(request: HttpRequest, name: str, key: str | None = None) -> bool:
    """Count this request against the named limit (per `key`, else per client IP); False
    once the limit is used up."""
    _key, _period, slot = _take(request, name, key)
    return slot is not None


def retry_after(request: HttpRequest, name: str, key: str | None = None) -> int:
    """Seconds until the named limit lets this client through again: the sliding window
    lets the last window's count weigh less as time goes on."""
    try:
        window = _window(request, name, key)
        counts = cache.get_many([window.key, window.previous])
    except Exception:
        log.warning("rate limit cache unavailable", exc_info=True)
        return 60
    limit, period = window.limit, window.period
    current, previous = counts.get(window.key, 0), counts.get(window.previous, 0)
    elapsed = (1 - window.overlap) * period
    if current < limit:
        # Free once ceil(previous × overlap) <= limit - current - 1.
        room = limit - current - 1
        needed = 1 - room / previous if previous else 0
        return max(1, math.ceil(needed * period - elapsed))
    # Not in this window: in the next one, this window's count weighs as `previous` did.
    needed = 1 - (limit - 1) / current if current else 0
    return max(1, math.ceil(period - elapsed + needed * period))


class RateLimited(Exception):
    """Raised from view helpers; RateLimitMiddleware answers it with the 429 page."""

    def __init__(self, seconds: int = 60):
        super().__init__(seconds)
        self.seconds = seconds


class RateLimitMiddleware:
    """Turns RateLimited into the 429 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RateLimited):
            return rate_limited_response(request, exception.seconds)
        return None


def _wait_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def wait_message(seconds: int) -> str:
    """What a refused form says: what happened and how long to wait (the 429 page's words)."""
    minutes = _wait_minutes(seconds)
    return ngettext(
        "You've done that too often in a short time. Wait a minute and try again.",
        "You've done that too often in a short time. Wait %(minutes)s minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def _refusal(response: HttpResponse, seconds: int) -> HttpResponse:
    response.status_code = HTTPStatus.TOO_MANY_REQUESTS
    response["Retry-After"] = str(max(1, int(seconds)))
    return response


def rate_limited_response(request: HttpRequest, seconds: int = 60) -> HttpResponse:
    """The 429 page, saying how long to wait (and Retry-After, in seconds).

    htmx swaps a 429 (base.html's htmx-config) because views with a form send it back in
    place; a whole page has no place in a fragment's target, so it replaces the page's body
    as a plain request would."""
    context = {"wait_minutes": _wait_minutes(seconds)}
    response = _refusal(render(request, "429.html", context), seconds)
    if getattr(request, "htmx", False):
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "innerHTML"
    return response


def missed(response: HttpResponse) -> bool:
    """For lookups: only a miss counts, so guessing codes is limited, not using them."""
    return response.status_code == HTTPStatus.NOT_FOUND


def succeeded(response: HttpResponse) -> bool:
    """For creations: only what was created counts, not a form sent back with errors."""
    return response.status_code < HTTPStatus.BAD_REQUEST


_Taken = tuple[str, int, int]  # a window's key, its period and the slot taken in it


def _take_all(
    request: HttpRequest, limits: list[tuple[str, str | None]]
) -> tuple[list[_Taken], int | None]:
    """A slot in each (name, key) limit; when one is used up, the slots already taken are
    given back (a refused request does not count) and the seconds to wait come back too."""
    taken: list[_Taken] = []
    for name, key in limits:
        window_key, period, slot = _take(request, name, key)
        if slot is None:
            _give_all_back(taken)
            return [], retry_after(request, name, key)
        taken.append((window_key, period, slot))
    return taken, None


def _give_all_back(taken: list[_Taken]) -> None:
    for key, period, slot in taken:
        _give_back(key, slot, period)


def rate_limit(
    name: str,
    methods: tuple[str, ...] = ("POST",),
    counts: Callable[[HttpResponse], bool] | None = None,
    exempt: Callable[..., bool] | None = None,
    refused: Callable[..., HttpResponse] | None = None,
    per: Callable[..., str | None] | None = None,
    backstop: str | None = None,
):
    """Decorator: refuse with a 429 page once the client used up the named limit.

    `refused(request, message, *args, **kwargs)`, for views with a form: the response in
    place of the 429 page, the form sent back with what was typed and `message` (how long to
    wait); it gets the 429 status and Retry-After.

    Without `counts`, every request with one of `methods` counts. With it, a request still
    takes its slot before the view runs (so a burst of parallel requests cannot slip past the
    limit), and gives it back afterwards unless `counts` accepts the response (an Http404
    is a 404 response; a crash gives the slot back). `exempt(request, *args, **kwargs)`
    tells requests that cannot be what the limit is about, which then skip the cache.

    `per(request, *args, **kwargs)` names whom the limit counts (a participant), else the
    client IP does; then `backstop` names a looser limit per client IP, so one address still
    cannot flood, while people sharing one (an office, a carrier) do not block each other.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods or (exempt and exempt(request, *args, **kwargs)):
                return view(request, *args, **kwargs)
            who = per(request, *args, **kwargs) if per else None
            limits = [(name, who)] + ([(backstop, None)] if who and backstop else [])
            taken, seconds = _take_all(request, limits)
            if seconds is not None:
                if refused is None:
                    return rate_limited_response(request, seconds)
                response = refused(request, wait_message(seconds), *args, **kwargs)
                return _refusal(response, seconds)
            if counts is None:
                return view(request, *args, **kwargs)
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                if not counts(HttpResponse(status=HTTPStatus.NOT_FOUND)):
                    _give_all_back(taken)
                raise
            except BaseException:
                _give_all_back(taken)
                raise
            if not counts(response):
                _give_all_back(taken)
            return response

        return wrapped

    return decorator
