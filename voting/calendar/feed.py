"""A signed-in user's lobbies as one subscribed calendar: each settled meeting, and each
meeting a reopen took back (as cancelled), built by voting/calendar/ics.py like the single download.

Cheap to ask often: the user's lobbies come from GSI1 (one Query), each lobby's rev from one
GetItem, and each lobby's snapshot from the process's snapshot cache (a Query only for a rev
this process has not read). The rendered calendar is kept under the lobbies' (code, rev)
pairs, so any change in any of them is a new key.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.urls import reverse

from letshangout.mail import absolute_url
from lobbies.entities import Participant
from lobbies.errors import LobbyNotFound
from lobbies.snapshot import LobbySnapshot
from lobbies.store import lobby_rev, snapshot_at
from voting import decisions
from voting.calendar import ics

FEED_NAME = "LetsHangOut"
# How often subscribed calendars should fetch again; Google decides for itself.
REFRESH = timedelta(hours=1)
FEEDS_KEPT = 64


def feed_for(user_id: int) -> bytes:
    """The user's calendar as it is now."""
    return _rendered(user_id, _current_revs(user_id), settings.SITE_URL)


def _current_revs(user_id: int) -> tuple[tuple[str, int], ...]:
    """(code, rev) of every lobby the user is in that still exists, newest joined first."""
    codes = dict.fromkeys(seat.code for seat in Participant.for_user(user_id))
    pairs = ((code, lobby_rev(code)) for code in codes)
    return tuple((code, rev) for code, rev in pairs if rev is not None)


@lru_cache(maxsize=FEEDS_KEPT)
def _rendered(user_id: int, revs: tuple[tuple[str, int], ...], site_url: str) -> bytes:
    """`site_url` is in the key because the events' links are built with it."""
    events = []
    for code, rev in revs:
        try:
            snapshot = snapshot_at(code, rev)
        except LobbyNotFound:  # deleted between the two reads
            continue
        # The index follows the table late: someone who just left may still be listed.
        if snapshot.participant_for_user(user_id) is None:
            continue
        event = _event(snapshot, absolute_url(reverse("lobbies:detail", args=[code])))
        if event is not None:
            events.append(event)
    return ics.build_feed(FEED_NAME, events, REFRESH)


def _event(snapshot: LobbySnapshot, lobby_url: str) -> ics.EventDetails | None:
    return decisions.settled_event(snapshot, lobby_url) or decisions.cancelled_event(
        snapshot, lobby_url
    )


def forget_feeds() -> None:
    """Drop the rendered feeds this process keeps (tests, after emptying the table)."""
    _rendered.cache_clear()
