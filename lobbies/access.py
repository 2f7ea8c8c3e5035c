"""Who may see a lobby: loading it for the code in a URL and finding this browser's seat.

Helpers for the views of both apps. Outsiders get the same 404 as unknown codes, so a code
leaks nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from lobbies import identity, services
from lobbies.codes import normalize_code
from lobbies.errors import LobbyNotFound
from lobbies.snapshot import LobbySnapshot

# Looked up for a malformed code so that "no such lobby" and "not a code" take the same time;
# it contains letters a code never has, so it can never match a lobby.
NEVER_A_CODE = "!NOCODE!"


def canonical_code(code: str) -> str:
    return normalize_code(code) or NEVER_A_CODE


def load(code: str) -> LobbySnapshot:
    """The lobby for a code from the URL; 404 for anything that is not a live lobby."""
    try:
        return services.load_lobby(canonical_code(code))
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


def load_for_participant(request: HttpRequest, code: str) -> tuple[LobbySnapshot, str]:
    """The lobby and my participant id; 404 for outsiders, so codes leak nothing."""
    snapshot = load(code)
    seat = my_seat(request, snapshot)
    if seat is None:
        raise Http404(_("You are not in this lobby."))
    return snapshot, seat


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
