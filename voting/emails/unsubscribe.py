"""Following the unsubscribe link of an email about a lobby (voting/emails/recipients.py signs it).

A guest's link forgets their address, on condition that the seat still holds the address the
email went to; an account holder's turns off that lobby's emails for them (the switch on
the lobby page), on condition that the seat is still that account's. Either way only the
seat the token names is written, and a second use changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

from lobbies.entities import Participant
from lobbies.errors import LobbyNotFound, NotInLobby
from lobbies.store import load_lobby, update_in_lobby
from voting.emails.guest_email import EmailLinkError, removal
from voting.emails.recipients import UNSUBSCRIBE_SALT, address_digest


@dataclass(frozen=True)
class Unsubscription:
    code: str
    participant_id: str
    address_digest: str | None
    user_id: int | None


def read_token(token: str) -> Unsubscription:
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return Unsubscription(
            str(payload["c"]),
            str(payload["p"]),
            str(payload["h"]) if "h" in payload else None,
            int(payload["u"]) if "u" in payload else None,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise EmailLinkError(
            _("This unsubscribe link is not valid. Copy the whole link from the email.")
        ) from error


def lobby_title(request: Unsubscription) -> str | None:
    """The lobby's title for the confirm page, or None when it is gone."""
    try:
        return load_lobby(request.code).lobby.title
    except LobbyNotFound:
        return None


def _stored_address(request: Unsubscription) -> str | None:
    """The guest address the seat holds, if it is the one the email went to."""
    try:
        seat = load_lobby(request.code).participant(request.participant_id)
    except LobbyNotFound:
        return None
    address = seat.guest_email if seat is not None else None
    if address is None or address_digest(address) != request.address_digest:
        return None
    return address


def unsubscribe(request: Unsubscription) -> None:
    """Stop the emails; a lobby or seat that is gone, or an address already removed, means
    there is nothing left to stop, which is what was asked."""
    key = Participant(*Participant.key_for(request.code, request.participant_id))
    if request.user_id is not None:
        actions = [Participant.notify_settled.set(False)]
        condition = Participant.pk.exists() & (Participant.user_id == request.user_id)
    else:
        address = _stored_address(request)
        if address is None:
            return
        actions = removal()
        condition = Participant.pk.exists() & (Participant.guest_email == address)
    try:
        update_in_lobby(request.code, key, actions, condition)
    except (NotInLobby, LobbyNotFound):
        return
