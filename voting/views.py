"""Places, votes and the decision. Each form posts to a real URL and redirects; with htmx the
same view answers with the fragment it changed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letshangout.memo import ContentMemo
from letshangout.ratelimit import rate_limit
from lobbies import availability, grid
from lobbies.services import LobbyError, LobbySnapshot
from lobbies.views import (
    after_answer,
    load_for_organizer,
    load_for_participant,
    lobby_context,
    lobby_url,
    render_lobby,
)
from voting import ics, notifications, services
from voting.entities import Place
from voting.forms import NotifyForm, PlaceForm, SettleForm, VoteForm
from voting.ranking import MAYBE, NO, VOTE_VALUES, YES

PLACES_TEMPLATE = "voting/_places.html"
DECISION_TEMPLATE = "voting/_decision.html"


def vote_choices() -> list[tuple[str, str]]:
    """The answers to a place, in the active language."""
    return [(YES, _("Yes")), (MAYBE, _("If need be")), (NO, _("No"))]


# --- view data ------------------------------------------------------------------------------------


def viewer_zone(request: HttpRequest, lobby) -> ZoneInfo:
    """The zone this viewer reads times in (the calendar's choice: ?tz=, the browser's zone
    remembered in a cookie, else the lobby's)."""
    return grid.get_zone(availability.viewer_zone(request, lobby))


@dataclass(frozen=True)
class RankedPlace:
    """A place as everyone sees it, derived once per snapshot: its rank, who proposed it, who
    voted what, and the HTML of that part of its card."""

    place: Place
    rank: int
    proposer: str
    yes: list[str]
    maybe: list[str]
    no: list[str]
    vote_url: str
    edit_url: str
    delete_url: str
    summary: str = ""
    _choices: dict[str | None, str] = dataclasses.field(default_factory=dict)
    _cards: dict[tuple, str] = dataclasses.field(default_factory=dict)

    def choices(self, my_vote: str | None) -> str:
        """The vote buttons with `my_vote` pressed, rendered the first time they are asked
        for (each place has only four variants, whoever looks)."""
        if my_vote not in self._choices:
            self._choices[my_vote] = render_to_string(
                f"{PLACES_TEMPLATE}#vote-choices",
                {"row": self, "my_vote": my_vote, "vote_choices": vote_choices()},
            )
        return self._choices[my_vote]

    def card(self, row: PlaceRow) -> str:
        """The whole card as `row`'s viewer sees it, rendered the first time anyone with the
        same vote and rights asks (it holds no CSRF token: its buttons submit shared forms)."""
        variant = (row.my_vote, row.can_edit, row.can_withdraw, row.can_remove, row.locked)
        if variant not in self._cards:
            self._cards[variant] = render_to_string(
                f"{PLACES_TEMPLATE}#place-card", {"row": row, "vote_choices": vote_choices()}
            )
        return self._cards[variant]


@dataclass
class PlaceRow:
    """A place as one viewer sees it: the shared part, their vote and what they may do."""

    ranked: RankedPlace
    my_vote: str | None
    can_edit: bool = False
    can_withdraw: bool = False
    can_remove: bool = False
    locked: bool = False  # places are closed: no vote buttons

    @property
    def card(self) -> str:
        return self.ranked.card(self)

    @property
    def vote_choices(self) -> str:
        """The vote buttons with mine pressed."""
        return self.ranked.choices(self.my_vote if self.my_vote in VOTE_VALUES else None)

    def __getattr__(self, name: str):
        # place, rank, proposer, yes, maybe, no, the URLs and the summary: the shared part's.
        if name == "ranked":
            raise AttributeError(name)
        return getattr(self.ranked, name)

    @property
    def anchor(self) -> str:
        return f"place-{self.place.place_id}"


@dataclass
class WindowView:
    start_slot: int
    label: str
    yes: list[str]
    maybe: list[str]
    missing: list[str]
    unanswered: list[str]


def _names(snapshot: LobbySnapshot, ids) -> list[str]:
    return [snapshot.participants[pid].display_name for pid in ids if pid in snapshot.participants]


def place_rows(snapshot: LobbySnapshot, seat: str | None) -> list[PlaceRow]:
    me = snapshot.participant(seat)
    mine = services.votes_of(me) if me is not None else {}
    is_organizer = snapshot.is_organizer(seat)
    open_ = services.lock_reason(snapshot.lobby) is None
    ranked = snapshot.derive(("ranked-places", get_language()), lambda: _ranked_places(snapshot))
    rows = []
    for shared in ranked:
        own = shared.place.proposer_id == seat
        rows.append(
            PlaceRow(
                ranked=shared,
                my_vote=mine.get(shared.place.place_id),
                can_edit=own and open_,
                can_withdraw=own and open_ and not is_organizer,
                can_remove=is_organizer,
                locked=not open_,
            )
        )
    return rows


def _ranked_places(snapshot: LobbySnapshot) -> list[RankedPlace]:
    places = {place.place_id: place for place in snapshot.places}
    return [
        _ranked_place(snapshot, places[score.place_id], rank, score)
        for rank, score in enumerate(services.ranked_places(snapshot), start=1)
    ]


def _ranked_place(snapshot: LobbySnapshot, place: Place, rank: int, score) -> RankedPlace:
    """The place as everyone sees it, reused from an earlier snapshot if it shows the same:
    any change in a lobby makes a new snapshot, and a vote ranks a private copy of it
    (services.cast_vote), yet most places look as they did and keep their rendered cards."""
    proposer = snapshot.participant(place.proposer_id)
    shown = (
        proposer.display_name if proposer else _("someone who left"),
        tuple(_names(snapshot, score.yes)),
        tuple(_names(snapshot, score.maybe)),
        tuple(_names(snapshot, score.no)),
    )
    if place.etag is None:  # written before etags: what it holds cannot be told by its key
        return _new_ranked_place(snapshot.code, place, rank, *shown)
    key = (get_language(), snapshot.code, place.place_id, place.etag, rank, shown)
    return _RANKED_PLACES.get(key, lambda: _new_ranked_place(snapshot.code, place, rank, *shown))


_RANKED_PLACES = ContentMemo(512)


def _new_ranked_place(code, place, rank, proposer, yes, maybe, no) -> RankedPlace:
    args = [code, place.place_id]
    ranked = RankedPlace(
        place=place,
        rank=rank,
        proposer=proposer,
        yes=list(yes),
        maybe=list(maybe),
        no=list(no),
        vote_url=reverse("voting:vote", args=args),
        edit_url=reverse("voting:edit_place", args=args),
        delete_url=reverse("voting:delete_place", args=args),
    )
    summary = render_to_string(f"{PLACES_TEMPLATE}#place-summary", {"row": ranked})
    return dataclasses.replace(ranked, summary=summary)


def _window_view(snapshot, rec: services.Recommendation, window, zone) -> WindowView:
    answered = set(rec.answers)
    return WindowView(
        start_slot=window.start_slot,
        label=availability.window_label(window, str(zone), rec.spec.whole_day),
        yes=_names(snapshot, window.yes),
        maybe=_names(snapshot, window.maybe),
        missing=_names(snapshot, window.missing),
        unanswered=_names(snapshot, [pid for pid in snapshot.participants if pid not in answered]),
    )


def _settled_context(request: HttpRequest, snapshot: LobbySnapshot, zone: ZoneInfo) -> dict:
    settled = services.settled_view(snapshot)
    if settled is None:
        return {}
    event = services.settled_event(snapshot, request.build_absolute_uri(lobby_url(snapshot)))
    window = services.settled_window(snapshot)
    return {
        "settled": settled,
        "settled_missing": _names(snapshot, window.missing) if window else [],
        "settled_zone": str(zone),
        "google_calendar_url": ics.google_calendar_url(event),
        "ics_url": reverse("voting:ics", args=[snapshot.code]),
    }


def _recommendation_context(snapshot: LobbySnapshot, zone: ZoneInfo) -> dict:
    rec = snapshot.derive(("recommendation",), lambda: services.recommendation(snapshot))
    rows = {row.place.place_id: row for row in place_rows(snapshot, None)}
    return {
        "recommended_window": _window_view(snapshot, rec, rec.window, zone) if rec.window else None,
        "recommended_place": rows.get(rec.place.place_id) if rec.place else None,
    }


def _notify_context(request: HttpRequest, me) -> dict:
    if me is None or not request.user.is_authenticated:
        return {"notify_available": False}
    has_email = bool(notifications.verified_emails([request.user.pk]))
    return {
        "notify_available": True,
        "notify_has_email": has_email,
        "notify_settled": bool(me.notify_settled),
    }


def places_context(request: HttpRequest, snapshot: LobbySnapshot, seat: str) -> dict:
    """What the lobby page needs for places, votes and the decision (lobby_context adds it)."""
    lobby = snapshot.lobby
    zone = viewer_zone(request, lobby)
    is_organizer = snapshot.is_organizer(seat)
    lock = services.lock_reason(lobby)
    context = {
        "place_rows": place_rows(snapshot, seat),
        "places_locked": lock,
        "place_form": None,  # the blank form is blank_place_fields; views pass a bound one
        "blank_place_fields": _blank_place_fields(get_language()),
        "places_full": len(snapshot.places) >= services.MAX_PLACES,
        "max_places": services.MAX_PLACES,
        "vote_choices": vote_choices(),
        "viewer_zone_name": str(zone),
        "deadline_passed": services.deadline_passed(lobby),
        **_settled_context(request, snapshot, zone),
        **_notify_context(request, snapshot.participant(seat)),
    }
    show_recommendation = lobby.status != services.SETTLED and (
        is_organizer or context["deadline_passed"]
    )
    if show_recommendation:
        context.update(_recommendation_context(snapshot, zone))
    context["show_recommendation"] = show_recommendation
    return context


@lru_cache(maxsize=16)
def _blank_place_fields(language: str) -> str:
    """The empty propose form's fields (widgets render through templates: ~2 ms a page)."""
    return render_to_string(f"{PLACES_TEMPLATE}#place-fields", {"place_form": PlaceForm()})


def _render_places(request, snapshot, seat, partial: str, **extra) -> HttpResponse:
    """A part of the places section, as htmx swaps it in: only what that section shows."""
    context = {"lobby": snapshot.lobby, **places_context(request, snapshot, seat), **extra}
    return render(request, f"{PLACES_TEMPLATE}#{partial}", context)


def _back_to_lobby(snapshot: LobbySnapshot, place_id: str | None = None) -> HttpResponse:
    url = lobby_url(snapshot)
    if place_id and services.place_by_id(snapshot, place_id) is not None:
        url += f"#place-{place_id}"
    else:
        url += "#places"
    return redirect(url)


def _absolute_lobby_url(request: HttpRequest, snapshot: LobbySnapshot) -> str:
    return request.build_absolute_uri(lobby_url(snapshot))


# --- places ---------------------------------------------------------------------------------------


@require_POST
@rate_limit("place_propose")
def propose(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = PlaceForm(request.POST)
    duplicate = None
    if form.is_valid():
        try:
            place = services.propose_place(snapshot, seat, form.to_values())
        except services.DuplicatePlace as error:
            duplicate = error.existing
            form.add_error("name", error.message)
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            if request.htmx:
                return _render_places(
                    request,
                    snapshot,
                    seat,
                    "places",
                    places_status=_("“%(name)s” is on the list.") % {"name": place.name},
                )
            messages.success(request, _("“%(name)s” is on the list.") % {"name": place.name})
            return _back_to_lobby(snapshot, place.place_id)
    extra = {"place_form": form, "duplicate_place": duplicate}
    if request.htmx:
        return _render_places(request, snapshot, seat, "places", **extra)
    context = {**lobby_context(request, snapshot, seat), **extra}
    return render_lobby(request, "lobbies/lobby.html", context, status=HTTPStatus.BAD_REQUEST)


@require_http_methods(["GET", "POST"])
def edit_place(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    place = services.place_by_id(snapshot, place_id)
    if place is None:
        raise Http404(_("That place is no longer on the list."))
    duplicate = None
    if request.method == "POST":
        form = PlaceForm(request.POST)
        if form.is_valid():
            try:
                services.edit_place(snapshot, seat, place_id, form.to_values())
            except services.DuplicatePlace as error:
                duplicate = error.existing
                form.add_error("name", error.message)
            except LobbyError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Place saved."))
                return _back_to_lobby(snapshot, place_id)
    else:
        form = PlaceForm(initial=PlaceForm.initial_from(place))
    context = {
        "lobby": snapshot.lobby,
        "place": place,
        "form": form,
        "duplicate_place": duplicate,
        "is_proposer": place.proposer_id == seat,
        "locked": services.lock_reason(snapshot.lobby),
    }
    status = HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK
    return render(request, "voting/place_edit.html", context, status=status)


@require_POST
def delete_place(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    place = services.place_by_id(snapshot, place_id)
    error = status = None
    try:
        outcome = services.delete_place(snapshot, seat, place_id)
    except LobbyError as refused:
        error = refused.message
    else:
        if outcome == "withdrawn":
            status = _("You withdrew “%(name)s”.") % {"name": place.name}
        else:
            status = _("“%(name)s” was removed.") % {"name": place.name}
    if request.htmx:
        return _render_places(
            request,
            snapshot,
            seat,
            "places-list",
            places_error=error,
            places_status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, status)
    return _back_to_lobby(snapshot)


# --- votes ----------------------------------------------------------------------------------------


@require_POST
def vote(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    # The shared snapshot will do: the vote's transaction checks what must still hold.
    snapshot, seat = load_for_participant(request, code, to_show=True)
    form = VoteForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose yes, if need be or no.")
    else:
        try:
            snapshot = services.cast_vote(snapshot, seat, place_id, form.cleaned_data["value"])
        except LobbyError as refused:
            error = refused.message
        else:
            after_answer(request, snapshot.lobby)
    if request.htmx:
        return _render_places(request, snapshot, seat, "places-list", places_error=error)
    if error:
        messages.error(request, error)
    return _back_to_lobby(snapshot, place_id)


# --- the decision ---------------------------------------------------------------------------------


def _settle_form(request, snapshot: LobbySnapshot, data=None) -> tuple[SettleForm, dict]:
    zone = viewer_zone(request, snapshot.lobby)
    rec = services.recommendation(snapshot)
    names = {place.place_id: place.name for place in snapshot.places}
    places = [(score.place_id, names[score.place_id]) for score in rec.places]
    initial = {
        "window": str(rec.window.start_slot) if rec.window else "other",
        "place": rec.place.place_id if rec.place else "",
    }
    form = SettleForm(
        data,
        initial=initial,
        spec=rec.spec,
        width=rec.width,
        best=rec.windows,
        places=places,
        zone=zone,
        window_texts={
            w.start_slot: availability.window_label(w, str(zone), rec.spec.whole_day)
            for w in rec.windows
        },
    )
    rows = {row.place.place_id: row for row in place_rows(snapshot, None)}
    context = {
        "windows": [_window_view(snapshot, rec, w, zone) for w in rec.windows],
        "place_rows": [rows[score.place_id] for score in rec.places],
        "viewer_zone_name": str(zone),
    }
    return form, context


@require_http_methods(["GET", "POST"])
def settle(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    if snapshot.lobby.status == services.SETTLED:
        messages.info(
            request, _("This lobby is already settled. Reopen it to change the decision.")
        )
        return redirect(lobby_url(snapshot))
    data = request.POST if request.method == "POST" else None
    form, context = _settle_form(request, snapshot, data)
    if request.method == "POST" and form.is_valid():
        try:
            services.settle(
                snapshot,
                seat,
                form.cleaned_data["start_slot"],
                form.cleaned_data["place"] or None,
            )
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            sent = notifications.send_settled(snapshot, _absolute_lobby_url(request, snapshot))
            messages.success(request, _settled_message(sent))
            return redirect(lobby_url(snapshot))
    context.update({"lobby": snapshot.lobby, "form": form})
    status = HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK
    return render(request, "voting/settle.html", context, status=status)


def _settled_message(sent: int) -> str:
    if not sent:
        return _("Settled! Everyone sees the time and place on the lobby page.")
    return _(
        "Settled! Everyone sees the time and place on the lobby page, and %(count)d got an email."
    ) % {"count": sent}


@require_POST
def reopen(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    try:
        services.reopen(snapshot, seat)
    except LobbyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The lobby is open again."))
    return redirect(lobby_url(snapshot))


@require_GET
def event_ics(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, _seat = load_for_participant(request, code)
    event = services.settled_event(snapshot, _absolute_lobby_url(request, snapshot))
    if event is None:
        raise Http404(_("This lobby is not settled yet, so there is no event to download."))
    response = HttpResponse(ics.build_ics(event), content_type="text/calendar; charset=utf-8")
    filename = f"letshangout-{snapshot.code.lower()}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
def notifications_setting(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = NotifyForm(request.POST)
    enabled = form.is_valid() and form.cleaned_data["notify_settled"]
    try:
        services.set_notify_settled(snapshot, seat, enabled)
    except LobbyError as error:
        messages.error(request, error.message)
        return redirect(lobby_url(snapshot))
    messages.success(
        request,
        _("You will get an email when this lobby is settled.")
        if enabled
        else _("You will not get an email when this lobby is settled."),
    )
    return redirect(lobby_url(snapshot) + "#decision")
