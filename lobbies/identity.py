"""Which participant this browser is, in each lobby it joined (kept in the session)."""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "lobby_seats"


def seats(request: HttpRequest) -> dict[str, str]:
    """code -> participant id for every lobby this browser sits in."""
    return dict(request.session.get(SESSION_KEY, {}))


def seat_in(request: HttpRequest, code: str) -> str | None:
    return request.session.get(SESSION_KEY, {}).get(code)


def remember(request: HttpRequest, code: str, participant_id: str) -> None:
    current = seats(request)
    current[code] = participant_id
    request.session[SESSION_KEY] = current


def forget(request: HttpRequest, code: str) -> None:
    current = seats(request)
    if current.pop(code, None) is not None:
        request.session[SESSION_KEY] = current


def user_id_of(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None
