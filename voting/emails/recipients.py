"""Who an email about a lobby reaches, in which language and zone, and the headers every such
email carries.

Account holders are reached at their verified account address, in the language and zone
stored on their account; a guest at the address they confirmed in the lobby, in the language
they used when saving it, and in the lobby's zone (a guest has no stored zone). The settled
email, the reminders and the organizer's notice all go through here, so each is written the
same way for both.

Every email carries a one-click unsubscribe (RFC 8058): `List-Unsubscribe` with a signed
link and a mailto, and `List-Unsubscribe-Post`. The signed token names the lobby, the seat
and what the email was sent to (the guest's address, or the account), so following it can
only ever silence that one seat's emails about that one lobby (voting/emails/unsubscribe.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

from letshangout.languages import languages_of, supported
from letshangout.mail import absolute_url, verified_emails
from letshangout.zones import zones_of
from lobbies.entities import Participant

UNSUBSCRIBE_SALT = "letshangout.unsubscribe"


@dataclass(frozen=True)
class Recipient:
    participant: Participant
    address: str
    language: str
    zone: str | None  # the zone stored on the account; None: the lobby's

    @property
    def is_guest(self) -> bool:
        return self.participant.user_id is None


def wants_lobby_email(participant: Participant) -> bool:
    """Whether this seat asked for the lobby's emails: an account holder who did not turn
    them off, or a guest who confirmed an address."""
    if participant.user_id is not None:
        return bool(participant.notify_settled)
    return participant.verified_guest_email is not None


def recipients_of(people: Iterable[Participant]) -> list[Recipient]:
    """The people an email can reach, each with their address, language and zone; anyone
    without a verified address is left out."""
    people = [p for p in people if wants_lobby_email(p)]
    holders = [p.user_id for p in people if p.user_id is not None]
    addresses = verified_emails(holders)
    languages = languages_of(holders)
    zones = zones_of(holders)
    found = []
    for person in people:
        if person.user_id is None:
            language = supported(person.guest_email_language) or settings.LANGUAGE_CODE
            found.append(Recipient(person, person.verified_guest_email, language, None))
        elif person.user_id in addresses:
            language = languages.get(person.user_id, settings.LANGUAGE_CODE)
            zone = zones.get(person.user_id)
            found.append(Recipient(person, addresses[person.user_id], language, zone))
    return found


def address_digest(address: str) -> str:
    """What a link says of an address: enough to tell it from another, without showing it
    (links end up in logs and browser histories; signing does not hide what they carry)."""
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def unsubscribe_token(code: str, participant: Participant, address: str | None) -> str:
    """Signed: the lobby, the seat, and the guest address (as its digest) or account the
    email went to. No expiry: an email can be read late, and the lobby going away ends it
    anyway."""
    payload = {"c": code, "p": participant.participant_id}
    if participant.user_id is None:
        payload["h"] = address_digest(address or "")
    else:
        payload["u"] = int(participant.user_id)
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_link(code: str, participant: Participant, address: str | None) -> str:
    """The page that stops this person's emails about the lobby, for the email's own text."""
    return unsubscribe_url(unsubscribe_token(code, participant, address))


def unsubscribe_url(token: str) -> str:
    return absolute_url(reverse("voting:unsubscribe", args=[token]))


def lobby_email(
    code: str, participant: Participant, address: str, subject: str, body: str
) -> EmailMessage:
    """An email about a lobby to one person, with the one-click unsubscribe headers."""
    token = unsubscribe_token(code, participant, address)
    mailto = f"mailto:{settings.UNSUBSCRIBE_EMAIL}?subject=unsubscribe%20{token}"
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(token)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], headers=headers)
