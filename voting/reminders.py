"""Reminders before the deadline: one email to each participant who has not answered.

The organizer chooses in the lobby's settings how long before the deadline (the Lobby item
keeps `remind_hours`, and `remind_at`, the instant that makes). `manage.py send_reminders`
runs on a schedule and calls `send_due_reminders`.

Once, even when runs overlap: before an email goes out, its participant item gets
`reminded_at` in a transaction on condition that it has none (with the lobby's rev bump, as
every write). A run that loses the race sends nothing, so a reminder is sent at most once;
an email that fails after its claim is logged and not retried (a reminder is a courtesy, a
second one would be noise).

Who gets one: signed-in participants with a verified address whose answers do not fit the
current grid (never answered, or answered before the organizer changed the days). Guests
have no address. The email links to the lobby through the person's own account: the sign-in
page, which sends them on to the lobby, where their account finds their seat on any device.
Personal-link tokens are stored only as hashes, so the email cannot carry one, and minting a
new one would break the link they already use; a link that needs signing in also leaks
nothing if the email is forwarded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from letshangout import metrics
from letshangout.languages import languages_of
from letshangout.mail import absolute_url
from letshangout.zones import zones_of
from lobbies.answers import answers_closed_reason, unanswered_signed_in
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyNotFound, NotInLobby
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby, update_in_lobby
from voting.notifications import verified_emails

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
    """Signed-in participants who have not answered this grid and were not reminded yet."""
    return [person for person in unanswered_signed_in(snapshot) if person.reminded_at is None]


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
    people = waiting(snapshot)
    addresses = verified_emails(p.user_id for p in people)
    people = [p for p in people if p.user_id in addresses]
    if dry_run:
        return Outcome(sent=len(people))
    languages = languages_of(p.user_id for p in people)
    # The deadline is an instant (a weekly lobby's too): each reader gets it in the zone
    # stored on their account, else in the lobby's, and the email names the zone it uses.
    zones = zones_of(p.user_id for p in people)
    context = {"lobby": lobby, "link": signin_link(code), "deadline": lobby.deadline}
    sent = already = 0
    for person in people:
        if not claim(code, person, now):
            already += 1
            continue
        language = languages.get(person.user_id, settings.LANGUAGE_CODE)
        zone = zones.get(person.user_id, lobby.timezone)
        personal = {**context, "participant": person, "zone": zone}
        parts = [
            _render(part, personal, zone, language)
            for part in ("reminder_subject.txt", "reminder_body.txt")
        ]
        message = EmailMessage(
            " ".join(parts[0].split()),
            parts[1],
            settings.DEFAULT_FROM_EMAIL,
            [addresses[person.user_id]],
        )
        try:
            sent += mailers.default.send_messages([message]) or 0
        except Exception:
            log.exception("a reminder email failed", extra={"event": "email_failed"})
    if sent:
        metrics.emit("EmailSent", sent)
    return Outcome(sent=sent, already=already)
