"""Who may see a lobby: loading it for the code in a URL and finding this browser's seat.

Helpers for the views of both apps. Outsiders get the same 404 as unknown codes, so a code
leaks nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from letshangout import ratelimit
from lobbies.codes import normalize_code
from lobbies.errors import LobbyNotFound
from lobbies.people import identity
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby

# Looked up for a malformed code so that "no such lobby" and "not a code" take the same time;
# it contains letters a code never has, so it can never match a lobby.
NEVER_A_CODE = "!NOCODE!"


def canonical_code(code: str) -> str:
    return normalize_code(code) or NEVER_A_CODE


def load(code: str) -> LobbySnapshot:
    """The lobby for a code from the URL; 404 for anything that is not a live lobby."""
    try:
        return load_lobby(canonical_code(code))
    except LobbyNotFound as error:
        raise Http404(error.message) from error


def my_seat(request: HttpRequest, snapshot: LobbySnapshot) -> str | None:
    """This browser's participant id in the lobby, or None for an outsider.

    A signed-in user who joined on another device is recognised by account and remembered.
    """
    seat = identity.seat_in(request, snapshot.code)
    if snapshot.participant(seat) is not None:
        return seat
    mine = snapshot.participant_for_user(identity.user_id_of(request))
    if mine is not None:
        identity.remember(request, snapshot.code, mine.participant_id)
        return mine.participant_id
    return None


def participant_key(request: HttpRequest, code: str) -> str | None:
    """Whom a rate limit on an action in the lobby counts: this browser's seat in it, else
    the signed-in account (one seat per account), else None (the client address). It reads
    no DynamoDB; a seat that is no longer valid gets the outsiders' 404 from the view."""
    canonical = canonical_code(code)
    seat = identity.seat_in(request, canonical)
    if seat is not None:
        return f"seat:{canonical}:{seat}"
    user = identity.user_id_of(request)
    return f"user:{user}" if user is not None else None


def load_for_participant(request: HttpRequest, code: str) -> tuple[LobbySnapshot, str]:
    """The lobby and my participant id. Outsiders and unknown codes get the same 404,
    counted against the same limit as looking codes up; a visitor with no seat in this
    session who is not signed in gets it without any DynamoDB read."""
    canonical = canonical_code(code)
    if identity.seat_in(request, canonical) is None and identity.user_id_of(request) is None:
        raise outsider(request)
    try:
        snapshot = load_lobby(canonical)
    except LobbyNotFound as error:
        raise outsider(request) from error
    seat = my_seat(request, snapshot)
    if seat is None:
        raise outsider(request)
    return snapshot, seat


def outsider(request: HttpRequest) -> Exception:
    """The one answer to "no such lobby" and "not in this lobby" alike: a 404 that counts
    as a guess (the "lobby_lookup" limit), or a 429 once guessing went on too long."""
    if not ratelimit.consume(request, "lobby_lookup"):
        return ratelimit.RateLimited(ratelimit.retry_after(request, "lobby_lookup"))
    return Http404(_("There is no such lobby, or you are not in it."))


def load_for_organizer(request: HttpRequest, code: str) -> tuple[LobbySnapshot, str]:
    snapshot, seat = load_for_participant(request, code)
    if not snapshot.is_organizer(seat):
        raise PermissionDenied(_("Only the organizer can do that."))
    return snapshot, seat


def lobby_url(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def absolute_lobby_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(lobby_url(code))


def remember_membership(request: HttpRequest, code: str, membership) -> None:
    identity.remember(request, code, membership.participant.participant_id)
    if membership.token:
        # Shown once, on the next page: the link that brings this identity to another device.
        request.session[f"new_token:{code}"] = membership.token
