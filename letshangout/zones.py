"""Which time zone a person reads times in. Pages take it from the browser: the `tz` cookie
(set once by the grid's script, or by the zone picker and the join form). Emails have no
browser, so a signed-in user's zone is also kept on the account: stored at sign-in, when they
choose one, and when their browser reports a new one.

The stored zone travels in the session (a signed cookie) as well, so noticing that the
browser's zone moved compares two strings and reads no table; only a change is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from letshangout.models import TimeZonePreference

TZ_COOKIE = "tz"
SESSION_KEY = "time_zone"


def valid_zone(name: object) -> str | None:
    """`name` when it is a known IANA zone, else None."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: malformed keys such as "../x"
        return None
    return name


def cookie_zone(request: HttpRequest) -> str | None:
    """The zone in the browser's `tz` cookie (URL-encoded by the script), if it is known."""
    return valid_zone(unquote(request.COOKIES.get(TZ_COOKIE, "")))


def zones_of(user_ids: Iterable[int | None]) -> dict[int, str]:
    """user id -> stored zone, for those who have one (one query)."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = TimeZonePreference.objects.filter(user_id__in=wanted)
    return {row.user_id: row.zone for row in rows if valid_zone(row.zone)}


def _store(request: HttpRequest, user, zone: str) -> None:
    TimeZonePreference.objects.update_or_create(user=user, defaults={"zone": zone})
    request.session[SESSION_KEY] = zone


def store_zone(request: HttpRequest, zone: str) -> None:
    """Keep a signed-in user's zone on the account; a guest's lives in their cookie only.
    Writes only when it differs from the one this session last stored."""
    if request.session.get(SESSION_KEY) != zone and request.user.is_authenticated:
        _store(request, request.user, zone)


@receiver(user_logged_in)
def store_zone_at_sign_in(sender, request, user, **kwargs) -> None:
    """At sign-in the zone of the browser signing in is where the person is now."""
    zone = cookie_zone(request) if request is not None else None
    if zone:
        _store(request, user, zone)


class UserZoneMiddleware:
    """Stores a signed-in user's zone when their browser's cookie reports a new one (they
    travelled, or changed it on another page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # The session's sign-in key first: a guest's request never loads a user.
        if session is not None and AUTH_SESSION_KEY in session:
            zone = cookie_zone(request)
            if zone:
                store_zone(request, zone)
        return self.get_response(request)
