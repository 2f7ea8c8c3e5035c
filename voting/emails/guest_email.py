"""A guest's email address for one lobby: saving it, confirming it, removing it.

The address lives on the guest's own Participant item only (`guest_email`, with
`guest_email_verified_at` and `guest_email_language`), so it goes with the lobby and never
touches Django's tables; no account is created. Nothing but the verification email is sent
to it until the guest opens the signed link in that email and confirms. The link carries the
lobby code, the seat and a digest of the address (not the address: links end up in logs),
signed and valid for three days; opening it checks that the seat still holds that very
address, and confirming checks it again in the write's condition, so an old link cannot
confirm an address that has since changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from letshangout.languages import supported
from letshangout.mail import absolute_url
from lobbies.entities import Participant
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed, NotInLobby
from lobbies.services import require_participant
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby, update_in_lobby
from voting.emails.notifications import send_lobby_emails
from voting.emails.recipients import address_digest, lobby_email

VERIFY_SALT = "letshangout.guest-email"
VERIFY_MAX_AGE = timedelta(days=3)


class EmailLinkError(LobbyError):
    """A link from an email that cannot be used: its message says why."""


@dataclass(frozen=True)
class EmailLink:
    code: str
    participant_id: str
    address_digest: str


def normalized(address: str) -> str:
    """One spelling per address: the domain part is case-insensitive."""
    local, _at, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def verification_token(code: str, participant_id: str, address: str) -> str:
    payload = {"c": code, "p": participant_id, "h": address_digest(address)}
    return signing.TimestampSigner(salt=VERIFY_SALT).sign_object(payload, compress=True)


def read_verification(token: str) -> EmailLink:
    """The link's content, or EmailLinkError when it is expired, tampered with or garbled."""
    signer = signing.TimestampSigner(salt=VERIFY_SALT)
    try:
        payload = signer.unsign_object(token, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired as error:
        raise EmailLinkError(
            _("This confirmation link has expired. Enter your address in the lobby again.")
        ) from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise EmailLinkError(
            _("This confirmation link is not valid. Copy the whole link from the email.")
        ) from error
    try:
        return EmailLink(str(payload["c"]), str(payload["p"]), str(payload["h"]))
    except (KeyError, TypeError) as error:
        raise EmailLinkError(_("This confirmation link is not valid.")) from error


def _guest(snapshot: LobbySnapshot, participant_id: str) -> Participant:
    participant = require_participant(snapshot, participant_id)
    if participant.user_id is not None:
        raise NotAllowed(_("Your emails go to your account's address."))
    return participant


def _write(code: str, participant: Participant, actions: list, condition) -> None:
    """A change of the guest's own item, only while it is still a guest's seat."""
    key = Participant(participant.pk, participant.sk)
    guest = Participant.pk.exists() & Participant.user_id.does_not_exist()
    try:
        update_in_lobby(code, key, actions, guest if condition is None else guest & condition)
    except NotInLobby as error:
        raise LobbyError(_("You are not in this lobby any more.")) from error


def save_address(snapshot: LobbySnapshot, participant_id: str, address: str, language: str) -> bool:
    """Keep a guest's address, unconfirmed, with the language they are reading. False when
    it is the address they already confirmed (nothing changes, nothing is sent)."""
    participant = _guest(snapshot, participant_id)
    address = normalized(address)
    if participant.verified_guest_email == address:
        return False
    actions = [
        Participant.guest_email.set(address),
        Participant.guest_email_language.set(supported(language) or settings.LANGUAGE_CODE),
        Participant.guest_email_verified_at.remove(),
    ]
    _write(snapshot.code, participant, actions, None)
    return True


def send_verification(snapshot: LobbySnapshot, participant_id: str, address: str) -> int:
    """The email with the confirmation link, in the language the address was saved in."""
    participant = require_participant(snapshot, participant_id)
    address = normalized(address)
    token = verification_token(snapshot.code, participant_id, address)
    context = {
        "lobby": snapshot.lobby,
        "participant": participant,
        "link": absolute_url(reverse("voting:confirm_email", args=[token])),
        "days": VERIFY_MAX_AGE.days,
    }
    language = supported(participant.guest_email_language) or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = render_to_string("voting/email/verify_subject.txt", context)
        body = render_to_string("voting/email/verify_body.txt", context)
    message = lobby_email(snapshot.code, participant, address, " ".join(subject.split()), body)
    return send_lobby_emails([message])


def pending(link: EmailLink) -> Participant:
    """The guest seat whose address the link would confirm, as it is now; EmailLinkError
    when the lobby, the seat or that address is gone, so an old link says so at once."""
    try:
        snapshot = load_lobby(link.code)
    except LobbyNotFound as error:
        raise EmailLinkError(_("This lobby does not exist any more.")) from error
    participant = snapshot.participant(link.participant_id)
    if participant is None or participant.user_id is not None:
        raise EmailLinkError(_("This link is for someone who is no longer in the lobby."))
    saved = participant.guest_email
    if saved is None or address_digest(saved) != link.address_digest:
        raise EmailLinkError(_("This link is for an address that is no longer saved in the lobby."))
    return participant


def confirm(link: EmailLink) -> Participant:
    """Mark the address verified, if the seat still holds it. EmailLinkError otherwise."""
    participant = pending(link)
    if participant.guest_email_verified_at is not None:
        return participant
    actions = [Participant.guest_email_verified_at.set(datetime.now(UTC))]
    try:
        _write(link.code, participant, actions, Participant.guest_email == participant.guest_email)
    except LobbyError as error:
        raise EmailLinkError(
            _("This link is for an address that is no longer saved in the lobby.")
        ) from error
    return participant


def remove_address(snapshot: LobbySnapshot, participant_id: str) -> None:
    participant = _guest(snapshot, participant_id)
    _write(snapshot.code, participant, removal(), None)


def removal() -> list:
    """The actions that forget a guest's address."""
    return [
        Participant.guest_email.remove(),
        Participant.guest_email_verified_at.remove(),
        Participant.guest_email_language.remove(),
    ]
