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
from django.template.loader import render_to_string
from django.utils import timezone, translation

from letshangout import metrics
from letshangout.languages import language_of, languages_of
from letshangout.mail import verified_emails
from letshangout.zones import zones_of
from lobbies import services, weekly
from lobbies.errors import LobbyNotFound
from lobbies.labels import repeat_label
from lobbies.snapshot import LobbySnapshot
from voting import decisions, ics

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


def send_settled(snapshot: LobbySnapshot, lobby_url: str) -> int:
    """One email per signed-in participant with a verified address who did not opt out,
    with the event attached. Returns how many went out; never raises."""
    try:
        return _send(_settled_messages(snapshot, lobby_url))
    except Exception:
        log.exception("sending the settled emails failed", extra={"event": "email_failed"})
        return 0


def _settled_messages(snapshot: LobbySnapshot, lobby_url: str) -> list[EmailMessage]:
    event = decisions.settled_event(snapshot, lobby_url)
    if event is None:
        return []
    wanted = [
        p for p in snapshot.participants.values() if p.user_id is not None and p.notify_settled
    ]
    addresses = verified_emails(p.user_id for p in wanted)
    if not addresses:
        return []
    settled = decisions.settled_view(snapshot)
    replaced = decisions.replaced_view(snapshot)
    context = {
        "lobby": snapshot.lobby,
        "lobby_url": lobby_url,
        "google_url": ics.google_calendar_url(event),
    }
    languages = languages_of(p.user_id for p in wanted)
    zones = _reader_zones(snapshot, settled, replaced, wanted)
    attachment = ics.build_ics(event).decode("utf-8")
    messages = []
    for participant in wanted:
        address = addresses.get(participant.user_id)
        if address is None:
            continue
        language = languages.get(participant.user_id, settings.LANGUAGE_CODE)
        zone = ZoneInfo(zones.get(participant.user_id, snapshot.lobby.timezone))
        with translation.override(language):
            meetings = {"now": _meeting(settled, zone), "now_repeats": repeat_label(settled.repeat)}
            if replaced:
                meetings["before"] = _meeting(replaced, zone)
                meetings["before_repeats"] = repeat_label(replaced.repeat)
        own = {**context, **meetings, "participant": participant, "zone": zone.key}
        subject, body = (
            _render(part, own, zone.key, language)
            for part in ("settled_subject.txt", "settled_body.txt")
        )
        message = EmailMessage(_one_line(subject), body, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach(f"{snapshot.code.lower()}.ics", attachment, "text/calendar")
        messages.append(message)
    return messages


def _reader_zones(
    snapshot: LobbySnapshot,
    settled: decisions.SettledView,
    replaced: decisions.SettledView | None,
    readers: list,
) -> dict[int, str]:
    """user id -> the zone their email shows times in: the one stored on their account, as
    reminders do. A weekly lobby's, or a repeating meeting's, times are wall-clock times in
    the lobby's zone (19:00 every Monday there, whatever the offset): none then, so the lobby's
    zone is used. The attached event carries its own zone either way."""
    wall_clock = weekly.is_weekly(snapshot.lobby) or any(
        view is not None and view.repeat is not None for view in (settled, replaced)
    )
    return {} if wall_clock else zones_of(p.user_id for p in readers)


def _meeting(view: decisions.SettledView, zone: ZoneInfo) -> dict:
    """A meeting's time and place as the email shows it, in the reader's zone."""
    return {
        "starts_at": view.starts_at.astimezone(zone),
        "ends_at": view.ends_at.astimezone(zone),
        "all_day": view.all_day,
        "place": view.place,
    }


def notify_if_all_answered(code: str, lobby_url: str) -> bool:
    """Call after someone answers (votes, or saves their times). Sends the organizer's
    opt-in email once, when the last participant has answered. Never raises."""
    try:
        return _notify_if_all_answered(code, lobby_url)
    except Exception:
        log.exception("the everyone-has-answered check failed", extra={"event": "email_failed"})
        return False


def _notify_if_all_answered(code: str, lobby_url: str) -> bool:
    try:
        snapshot = services.load_lobby(code)
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
    address = verified_emails([organizer.user_id]).get(organizer.user_id)
    if address is None:
        return False
    if not decisions.claim_all_answered_notice(code):
        return False  # someone else's answer got there first and sent it
    context = {
        "lobby": lobby,
        "lobby_url": lobby_url,
        "count": len(snapshot.participants),
    }
    language = language_of(organizer.user_id)
    subject = _one_line(_render("all_answered_subject.txt", context, language=language))
    body = _render("all_answered_body.txt", context, language=language)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return _send([message]) > 0
