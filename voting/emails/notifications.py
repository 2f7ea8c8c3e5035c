"""Emails about a lobby: "it's settled" to the participants, "everyone has answered" to the
organizer. Sending never fails the action that triggered it: every error is logged and
swallowed here (ResilientSMTPBackend already does that for SMTP; this covers the rest).
"""

from __future__ import annotations

import logging
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from letshangout import metrics
from letshangout.mail import absolute_url
from lobbies.availability import weekly
from lobbies.entities import Lobby
from lobbies.errors import LobbyNotFound
from lobbies.page.labels import repeat_label
from lobbies.signals import answered
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby
from voting import decisions
from voting.calendar import ics
from voting.emails.recipients import lobby_email, recipients_of, unsubscribe_link

log = logging.getLogger(__name__)


def _render(name: str, context: dict, zone: str = "UTC", language: str | None = None) -> str:
    """An email part, in the lobby's zone and the recipient's language: the date filter shows
    aware times in the *current* zone, which is the server's (UTC) outside a request."""
    language = language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        return render_to_string(f"voting/email/{name}", context)


def _one_line(text: str) -> str:
    """A subject on one line; no-break spaces (French punctuation) stay."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    sent = mailers.default.send_messages(messages) or 0
    metrics.emit("EmailSent", sent)
    return sent


def send_lobby_emails(messages: list[EmailMessage]) -> int:
    """Send; how many went out. Never raises (the action that sent them goes on)."""
    try:
        return _send(messages)
    except Exception:
        log.exception("sending emails about a lobby failed", extra={"event": "email_failed"})
        return 0


def send_settled(snapshot: LobbySnapshot, lobby_url: str) -> int:
    """One email per participant who asked for it (an account holder with a verified
    address who did not opt out, or a guest with a confirmed address), with the event
    attached. Returns how many went out; never raises."""
    try:
        return _send(_settled_messages(snapshot, lobby_url))
    except Exception:
        log.exception("sending the settled emails failed", extra={"event": "email_failed"})
        return 0


def _settled_messages(snapshot: LobbySnapshot, lobby_url: str) -> list[EmailMessage]:
    event = decisions.settled_event(snapshot, lobby_url)
    if event is None:
        return []
    readers = recipients_of(snapshot.participants.values())
    if not readers:
        return []
    settled = decisions.settled_view(snapshot)
    replaced = decisions.replaced_view(snapshot)
    context = {
        "lobby": snapshot.lobby,
        "lobby_url": lobby_url,
        "google_url": ics.google_calendar_url(event),
    }
    wall_clock = _wall_clock(snapshot, settled, replaced)
    attachment = ics.build_ics(event).decode("utf-8")
    messages = []
    for reader in readers:
        zone_name = snapshot.lobby.timezone if wall_clock else reader.zone
        zone = ZoneInfo(zone_name or snapshot.lobby.timezone)
        with translation.override(reader.language):
            meetings = {"now": _meeting(settled, zone), "now_repeats": repeat_label(settled.repeat)}
            if replaced:
                meetings["before"] = _meeting(replaced, zone)
                meetings["before_repeats"] = repeat_label(replaced.repeat)
        own = {
            **context,
            **meetings,
            "participant": reader.participant,
            "guest": reader.is_guest,
            "zone": zone.key,
            "unsubscribe_url": unsubscribe_link(snapshot.code, reader.participant, reader.address),
        }
        subject, body = (
            _render(part, own, zone.key, reader.language)
            for part in ("settled_subject.txt", "settled_body.txt")
        )
        message = lobby_email(
            snapshot.code, reader.participant, reader.address, _one_line(subject), body
        )
        message.attach(f"{snapshot.code.lower()}.ics", attachment, "text/calendar")
        messages.append(message)
    return messages


def _wall_clock(
    snapshot: LobbySnapshot,
    settled: decisions.SettledView,
    replaced: decisions.SettledView | None,
) -> bool:
    """Whether the email shows times in the lobby's zone for everyone. Otherwise each reader
    gets the zone stored on their account, as reminders do. A weekly lobby's, or a repeating
    meeting's, times are wall-clock times in the lobby's zone (19:00 every Monday there,
    whatever the offset). The attached event carries its own zone either way."""
    return weekly.is_weekly(snapshot.lobby) or any(
        view is not None and view.repeat is not None for view in (settled, replaced)
    )


def _meeting(view: decisions.SettledView, zone: ZoneInfo) -> dict:
    """A meeting's time and place as the email shows it, in the reader's zone."""
    return {
        "starts_at": view.starts_at.astimezone(zone),
        "ends_at": view.ends_at.astimezone(zone),
        "all_day": view.all_day,
        "place": view.place,
    }


def lobby_link(code: str) -> str:
    """The lobby's address as emails carry it: the site's own, whoever acted."""
    return absolute_url(reverse("lobbies:detail", args=[code]))


@receiver(answered)
def tell_organizer_once_all_answered(sender, lobby: Lobby, **kwargs) -> None:
    """After someone answers (votes, or saves their times): the organizer's opt-in email,
    once the last participant has answered. Reads the lobby only while the email is due."""
    if lobby.notify_owner_all_answered and lobby.all_answered_notified_at is None:
        notify_if_all_answered(lobby.code, lobby_link(lobby.code))


def notify_if_all_answered(code: str, lobby_url: str) -> bool:
    """Sends the organizer's opt-in email once, when the last participant has answered.
    Never raises."""
    try:
        return _notify_if_all_answered(code, lobby_url)
    except Exception:
        log.exception("the everyone-has-answered check failed", extra={"event": "email_failed"})
        return False


def _notify_if_all_answered(code: str, lobby_url: str) -> bool:
    try:
        snapshot = load_lobby(code)
    except LobbyNotFound:
        return False
    lobby = snapshot.lobby
    if not lobby.notify_owner_all_answered or lobby.all_answered_notified_at is not None:
        return False
    if not decisions.everyone_answered(snapshot):
        return False
    organizer = snapshot.organizer
    if organizer is None or organizer.user_id is None:
        return False
    readers = recipients_of([organizer])
    if not readers:
        return False
    if not decisions.claim_all_answered_notice(code):
        return False  # someone else's answer got there first and sent it
    (reader,) = readers
    context = {
        "lobby": lobby,
        "lobby_url": lobby_url,
        "count": len(snapshot.participants),
        "unsubscribe_url": unsubscribe_link(code, organizer, reader.address),
    }
    subject = _one_line(_render("all_answered_subject.txt", context, language=reader.language))
    body = _render("all_answered_body.txt", context, language=reader.language)
    message = lobby_email(code, organizer, reader.address, subject, body)
    return _send([message]) > 0
