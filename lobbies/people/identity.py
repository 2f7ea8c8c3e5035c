"""Which participant this browser is, in each lobby it joined (kept in the session)."""

from __future__ import annotations

from django.http import HttpRequest

from lobbies import codes

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


BROWSER_KEY = "browser"


def browser_hash(request: HttpRequest) -> str:
    """A hash of this browser's own random key, kept in its session from the first join: what
    a participant records, so the organizer's removal keeps this browser out too."""
    key = request.session.get(BROWSER_KEY)
    if not isinstance(key, str) or len(key) < 20:
        key = codes.new_token()
        request.session[BROWSER_KEY] = key
    return codes.hash_token(key)[:32]
