"""Reminders before the deadline: one email to each participant who has not answered.

The organizer chooses in the lobby's settings how long before the deadline (the Lobby item
keeps `remind_hours`, and `remind_at`, the instant that makes). `manage.py send_reminders`
runs on a schedule and calls `send_due_reminders`.

Once, even when runs overlap: before an email goes out, its participant item gets
`reminded_at` in a transaction on condition that it has none (with the lobby's rev bump, as
every write). A run that loses the race sends nothing, so a reminder is sent at most once;
an email that fails after its claim is logged and not retried (a reminder is a courtesy, a
second one would be noise).

Who gets one: participants an email can reach (voting/emails/recipients.py: an account holder with a
verified address who did not turn the lobby's emails off, or a guest with a confirmed address)
whose answers do not fit the current grid (never answered, or answered before the organizer
changed the days). A guest's email links to the lobby page itself. An account holder's links to
the lobby through their own account: the sign-in page, which sends them on to the lobby, where
their account finds their seat on any device. Personal-link tokens are stored only as hashes,
so the email cannot carry one, and minting a new one would break the link they already use; a
link that needs signing in also leaks nothing if the email is forwarded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.core.mail import mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from letshangout import metrics
from letshangout.mail import absolute_url
from lobbies.availability.answers import answers_closed_reason, answers_of
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyNotFound, NotInLobby
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby, update_in_lobby
from voting.emails.recipients import lobby_email, recipients_of, unsubscribe_link, wants_lobby_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one lobby's reminders came to: emails sent, and people another run (or an
    earlier one) had already reminded."""

    sent: int = 0
    already: int = 0


def due_lobby_codes(now: datetime) -> list[str]:
    """Open lobbies whose reminder time has come, before their deadline (an operator's Scan)."""
    return [lobby.code for lobby in Lobby.due_for_reminders(now)]


def waiting(snapshot: LobbySnapshot) -> list[Participant]:
    """Participants an email can reach who have not answered this grid and were not
    reminded yet."""
    answered = answers_of(snapshot)
    return [
        person
        for pid, person in snapshot.participants.items()
        if pid not in answered and person.reminded_at is None and wants_lobby_email(person)
    ]


def claim(code: str, participant: Participant, now: datetime) -> bool:
    """Record the reminder on the participant item, only if none is recorded: True when this
    run may send it."""
    try:
        update_in_lobby(
            code,
            Participant(participant.pk, participant.sk),
            [Participant.reminded_at.set(now)],
            Participant.pk.exists() & Participant.reminded_at.does_not_exist(),
        )
    except (NotInLobby, LobbyNotFound):
        return False
    return True


def signin_link(code: str) -> str:
    """The lobby behind the sign-in page (it goes straight on for someone signed in)."""
    lobby_path = reverse("lobbies:detail", args=[code])
    path = f"{reverse('account_login')}?next={quote(lobby_path)}"
    return absolute_url(path)


def guest_link(code: str) -> str:
    """A guest has no account to sign in with: the lobby itself, where the browser they
    joined on (or their personal link) finds their seat."""
    return absolute_url(reverse("lobbies:detail", args=[code]))


def _render(name: str, context: dict, zone: str, language: str) -> str:
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        return render_to_string(f"voting/email/{name}", context)


def remind_lobby(code: str, now: datetime | None = None, dry_run: bool = False) -> Outcome:
    """Send the lobby's reminders that are due, each claimed first. Never raises for one
    email that fails (it is logged)."""
    now = now or datetime.now(UTC)
    try:
        snapshot = load_lobby(code)
    except LobbyNotFound:
        return Outcome()
    lobby = snapshot.lobby
    if lobby.remind_at is None or lobby.remind_at > now or answers_closed_reason(lobby, now):
        return Outcome()
    readers = recipients_of(waiting(snapshot))
    if dry_run:
        return Outcome(sent=len(readers))
    # The deadline is an instant (a weekly lobby's too): each reader gets it in the zone
    # stored on their account, else in the lobby's, and the email names the zone it uses.
    context = {"lobby": lobby, "deadline": lobby.deadline}
    sent = already = 0
    for reader in readers:
        if not claim(code, reader.participant, now):
            already += 1
            continue
        zone = reader.zone or lobby.timezone
        link = guest_link(code) if reader.is_guest else signin_link(code)
        personal = {
            **context,
            "participant": reader.participant,
            "zone": zone,
            "link": link,
            "guest": reader.is_guest,
            "unsubscribe_url": unsubscribe_link(code, reader.participant, reader.address),
        }
        subject, body = (
            _render(part, personal, zone, reader.language)
            for part in ("reminder_subject.txt", "reminder_body.txt")
        )
        message = lobby_email(
            code, reader.participant, reader.address, " ".join(subject.split()), body
        )
        try:
            sent += mailers.default.send_messages([message]) or 0
        except Exception:
            log.exception("a reminder email failed", extra={"event": "email_failed"})
    if sent:
        metrics.emit("EmailSent", sent)
    return Outcome(sent=sent, already=already)
