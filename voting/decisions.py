"""The decision: the recommended time and place, settling and reopening, and the settled
event as pages, emails and calendars show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from lobbies.availability import weekly
from lobbies.availability.answers import answers_of, spec_for
from lobbies.availability.grid import GridSpec
from lobbies.availability.windows import Window, best_windows, window_at
from lobbies.entities import Decision, Lobby
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed
from lobbies.retention import expiry_of
from lobbies.snapshot import LobbySnapshot
from lobbies.store import get_lobby, move_expiry, update_lobby
from voting.calendar import ics
from voting.entities import Place
from voting.ranking import PlaceScore, recommend
from voting.services import (
    OPEN,
    SETTLED,
    deadline_passed,
    ranked_places,
    require_place,
    votes_of,
)

TOP_WINDOWS = 5


def window_starts(spec: GridSpec, width: int) -> list[int]:
    """Every slot where a meeting of `width` slots can start: inside one day, on slots that
    exist (a daylight-saving gap breaks a window)."""
    per_day = spec.slots_per_day
    existing = spec.existing_slots()
    return [
        start
        for start in range(spec.slot_count)
        if start % per_day + width <= per_day
        and all(index in existing for index in range(start, start + width))
    ]


def describe_window(spec: GridSpec, answers: Mapping[str, tuple], start: int, width: int) -> Window:
    """Any window (not only a best one) with who can come, if need be, or not."""
    return window_at(spec, start, width, answers)


@dataclass(frozen=True)
class Recommendation:
    """The best windows, the ranked places, and the recommended pair (either may be None)."""

    spec: GridSpec
    answers: Mapping[str, tuple]
    windows: list[Window]
    places: list[PlaceScore]
    window: Window | None
    place: PlaceScore | None
    width: int


def recommendation(snapshot: LobbySnapshot, top: int = TOP_WINDOWS) -> Recommendation:
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    answers = answers_of(snapshot)
    meeting_minutes = int(lobby.meeting_minutes)
    windows = best_windows(spec, meeting_minutes, answers, top=top)
    places = ranked_places(snapshot)
    window, place = recommend(windows, places)
    return Recommendation(
        spec, answers, windows, places, window, place, spec.meeting_slots(meeting_minutes)
    )


# --- settling -------------------------------------------------------------------------------------


def settle(
    snapshot: LobbySnapshot,
    actor_id: str | None,
    start_slot: int,
    place_id: str | None,
    *,
    automatic: bool = False,
    repeat: weekly.Repeat | None = None,
) -> Decision:
    """Fix the lobby's time window and place (None: no place). Only the organizer, or the
    operator's command with `automatic`. One unversioned UpdateItem, so it never conflicts
    with the organizer's open settings form; the condition makes a replay or a second
    settler fail cleanly instead of settling twice. A weekly lobby's meeting also needs its
    `repeat`: from the first date on, every week."""
    lobby = snapshot.lobby
    if not automatic and not snapshot.is_organizer(actor_id):
        raise NotAllowed(_("Only the organizer can settle this lobby."))
    if lobby.status == SETTLED:
        raise LobbyError(_("This lobby is already settled. Reopen it to change the decision."))
    spec = spec_for(lobby)
    width = spec.meeting_slots(int(lobby.meeting_minutes))
    if not isinstance(start_slot, int) or start_slot not in window_starts(spec, width):
        raise LobbyError(_("That time is not a possible meeting time in this lobby's calendar."))
    if place_id:
        require_place(snapshot, place_id)
    if weekly.is_weekly(lobby):
        return _settle_weekly(snapshot, spec, start_slot, width, place_id, automatic, repeat)
    decision = Decision(
        start_slot=start_slot,
        slot_count=width,
        place_id=place_id or None,
        settled_at=datetime.now(UTC),
        automatic=automatic,
        starts_at=spec.slot_start(start_slot).astimezone(UTC),
        ends_at=spec.slot_end(start_slot + width - 1).astimezone(UTC),
        all_day=spec.whole_day,
    )
    _store_decision(snapshot, decision)
    return decision


def _settle_weekly(snapshot, spec, start, width, place_id, automatic, repeat) -> Decision:
    lobby = snapshot.lobby
    weekday = spec.dates[spec.slot_position(start)[0]].isoweekday()
    today = datetime.now(spec.zone).date()
    if repeat is None:
        repeat = weekly.Repeat(weekly.next_on(weekday, today))
    if repeat.first.isoweekday() != weekday:
        raise LobbyError(_("The first date must be on the day of the week you settle on."))
    if repeat.first < today:
        raise LobbyError(_("The first date must not be in the past."))
    starts, ends = weekly.occurrence(
        spec.wall_start(start), spec.wall_end(start + width - 1), repeat.first, lobby.timezone
    )
    decision = Decision(
        start_slot=start,
        slot_count=width,
        place_id=place_id or None,
        settled_at=datetime.now(UTC),
        automatic=automatic,
        starts_at=starts.astimezone(UTC),
        ends_at=ends.astimezone(UTC),
        all_day=spec.whole_day,
        first_date=repeat.first.isoformat(),
        until_date=repeat.until.isoformat() if repeat.until else None,
        repeat_count=repeat.count,
    )
    # The series runs on in calendars, whose events link here: keep the lobby meanwhile.
    expires = expiry_of(
        weekly.WEEKDAYS, (), lobby.created_at, reopened_at=lobby.reopened_at, decision=decision
    )
    _store_decision(snapshot, decision, [Lobby.expires_at.set(expires)])
    move_expiry(snapshot.code, expires)
    return decision


def _store_decision(snapshot: LobbySnapshot, decision: Decision, extra=()) -> None:
    try:
        update_lobby(
            snapshot.code,
            [Lobby.status.set(SETTLED), Lobby.decision.set(decision), *extra],
            Lobby.status.does_not_exist() | (Lobby.status == OPEN),
        )
    except LobbyNotFound as error:
        if get_lobby(snapshot.code) is None:
            raise
        raise LobbyError(
            _("This lobby is already settled. Reopen it to change the decision.")
        ) from error


def reopen(snapshot: LobbySnapshot, actor_id: str, deadline: datetime | None = None) -> None:
    """Open a settled lobby again. A deadline that has passed would keep answers, places and
    votes locked, so it is replaced by `deadline` (in the future), or removed when that is
    None; a deadline still to come stays. A weekly lobby is then kept from now on."""
    lobby = snapshot.lobby
    if not snapshot.is_organizer(actor_id):
        raise NotAllowed(_("Only the organizer can reopen this lobby."))
    if lobby.status != SETTLED:
        raise LobbyError(_("This lobby is not settled, so there is nothing to reopen."))
    actions = [
        Lobby.status.set(OPEN),
        Lobby.decision.remove(),
        Lobby.previous_decision.set(lobby.decision),
    ]
    if deadline_passed(lobby):
        actions += _new_deadline(lobby, deadline)
    expires = None
    if weekly.is_weekly(lobby):
        now = datetime.now(UTC)
        expires = expiry_of(weekly.WEEKDAYS, (), lobby.created_at, reopened_at=now)
        actions += [Lobby.reopened_at.set(now), Lobby.expires_at.set(expires)]
    try:
        update_lobby(snapshot.code, actions, Lobby.status == SETTLED)
    except LobbyNotFound as error:
        if get_lobby(snapshot.code) is None:
            raise
        raise LobbyError(_("This lobby is not settled, so there is nothing to reopen.")) from error
    if expires is not None:
        move_expiry(snapshot.code, expires)


def _new_deadline(lobby: Lobby, deadline: datetime | None) -> list:
    """The Lobby's deadline (and its reminder's instant) replaced, or removed with None."""
    if deadline is None:
        return [Lobby.deadline.remove(), Lobby.remind_hours.remove(), Lobby.remind_at.remove()]
    if deadline <= datetime.now(UTC):
        raise LobbyError(_("The deadline must be in the future."))
    actions = [Lobby.deadline.set(deadline)]
    if lobby.remind_hours:
        actions.append(Lobby.remind_at.set(deadline - timedelta(hours=int(lobby.remind_hours))))
    return actions


def settle_automatically(snapshot: LobbySnapshot) -> Decision | None:
    """Settle on the recommended pair; None when nobody marked a time that works."""
    best = recommendation(snapshot, top=1)
    if best.window is None:
        return None
    place_id = best.place.place_id if best.place is not None else None
    return settle(snapshot, None, best.window.start_slot, place_id, automatic=True)


def due_lobby_codes(now: datetime | None = None) -> list[str]:
    """Codes of open auto-settle lobbies past their deadline (a Scan: operator use only)."""
    now = now or datetime.now(UTC)
    return sorted(
        lobby.code for lobby in Lobby.due_for_auto_settle(now) if not lobby.is_expired(now)
    )


# --- "everyone has answered" ----------------------------------------------------------------------


def everyone_answered(snapshot: LobbySnapshot) -> bool:
    """True once a lobby of two or more people has everyone's answers: each marked their
    times for the current grid and, when there are places, voted on at least one. Seats of
    deleted accounts are not waited for."""
    awaited = snapshot.answering()
    if len(awaited) < 2:
        return False
    marked = answers_of(snapshot)
    place_ids = {place.place_id for place in snapshot.places}
    for participant_id, participant in awaited.items():
        if participant_id not in marked:
            return False
        if place_ids and not place_ids.intersection(votes_of(participant)):
            return False
    return True


def claim_all_answered_notice(code: str) -> bool:
    """Mark the organizer's "everyone has answered" email as sent; True for the one caller
    that wins, so the email goes out once however many answers arrive at the same time."""
    try:
        update_lobby(
            code,
            [Lobby.all_answered_notified_at.set(datetime.now(UTC))],
            Lobby.all_answered_notified_at.does_not_exist()
            & (Lobby.notify_owner_all_answered == True),  # noqa: E712 - a condition
        )
    except LobbyNotFound:
        return False
    return True


# --- the settled event ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettledView:
    """The decision as pages and emails show it."""

    decision: Decision
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    place: Place | None
    repeat: weekly.Repeat | None = None


def settled_view(snapshot: LobbySnapshot) -> SettledView | None:
    lobby = snapshot.lobby
    if lobby.status != SETTLED or lobby.decision is None:
        return None
    return _view_of(snapshot, lobby.decision)


def replaced_view(snapshot: LobbySnapshot) -> SettledView | None:
    """The meeting a reopen took back, when the lobby is now settled on another time or
    place (None when it was never reopened, or settled again on the same meeting)."""
    settled = settled_view(snapshot)
    previous = snapshot.lobby.previous_decision
    if settled is None or previous is None or previous.starts_at is None:
        return None
    before = _view_of(snapshot, previous)
    if before is None or _meeting(before) == _meeting(settled):
        return None
    return before


def _meeting(view: SettledView) -> tuple:
    return (view.starts_at, view.ends_at, view.all_day, view.decision.place_id, view.repeat)


def _view_of(snapshot: LobbySnapshot, decision: Decision) -> SettledView | None:
    lobby = snapshot.lobby
    starts_at, ends_at, all_day = decision.starts_at, decision.ends_at, bool(decision.all_day)
    if starts_at is None or ends_at is None:
        # A decision written without its instants: derive them from the grid.
        spec = spec_for(lobby)
        start, width = int(decision.start_slot), int(decision.slot_count)
        try:
            starts_at = spec.slot_start(start).astimezone(UTC)
            ends_at = spec.slot_end(start + width - 1).astimezone(UTC)
        except ValueError:
            return None
        all_day = spec.whole_day
    place = snapshot.place(decision.place_id)
    return SettledView(decision, starts_at, ends_at, all_day, place, weekly.repeat_of(decision))


def settled_window(snapshot: LobbySnapshot) -> Window | None:
    """Who can come to the settled time, if the grid still has that window (an edit of
    the days or times since settling renumbers the slots, and then nobody's marks apply)."""
    settled = settled_view(snapshot)
    if settled is None:
        return None
    spec = spec_for(snapshot.lobby)
    start, width = int(settled.decision.start_slot), int(settled.decision.slot_count)
    try:
        planned = spec.slot_start(start)
        if settled.repeat is not None:  # the same weekday and time, moved to the first date
            wall_end = spec.wall_end(start + width - 1)
            planned = weekly.occurrence(
                spec.wall_start(start), wall_end, settled.repeat.first, spec.tz
            )[0]
        if planned != settled.starts_at:
            return None
        return describe_window(spec, answers_of(snapshot), start, width)
    except ValueError:
        return None


def settled_event(snapshot: LobbySnapshot, lobby_url: str) -> ics.EventDetails | None:
    settled = settled_view(snapshot)
    if settled is None:
        return None
    return _event_of(snapshot, settled, lobby_url)


def cancelled_event(snapshot: LobbySnapshot, lobby_url: str) -> ics.EventDetails | None:
    """The meeting a reopen took back, while the lobby is open again: a feed keeps it as
    cancelled (same UID, a higher SEQUENCE) so subscribed calendars remove it visibly."""
    previous = snapshot.lobby.previous_decision
    if snapshot.lobby.status == SETTLED or previous is None:
        return None
    view = _view_of(snapshot, previous)
    return _event_of(snapshot, view, lobby_url, "CANCELLED") if view is not None else None


def _event_of(
    snapshot: LobbySnapshot, settled: SettledView, lobby_url: str, status: str = "CONFIRMED"
) -> ics.EventDetails:
    lobby = snapshot.lobby
    place = settled.place
    parts = [lobby.description, place.note, place.link] if place else [lobby.description]
    description = "\n\n".join(part for part in parts if part)
    return ics.EventDetails(
        code=snapshot.code,
        title=lobby.title,
        description=description,
        starts_at=settled.starts_at,
        ends_at=settled.ends_at,
        all_day=settled.all_day,
        timezone=lobby.timezone,
        location=place.location if place else "",
        url=lobby_url,
        sequence=int(lobby.rev or 0),
        stamp=settled.decision.settled_at,
        recurrence=_recurrence(settled, lobby.timezone),
        status=status,
    )


def _recurrence(settled: SettledView, tz: str) -> ics.Recurrence | None:
    repeat = settled.repeat
    if repeat is None:
        return None
    until = weekly.until_instant(repeat.until, tz) if repeat.until else None
    day = weekly.rrule_day(repeat.first.isoweekday())
    return ics.Recurrence(day, until, repeat.count)
