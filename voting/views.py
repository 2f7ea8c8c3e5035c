"""Places, votes and the decision. Each form posts to a real URL and redirects; with htmx the
same view answers with the fragment it changed."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from letshangout.formats import local_format
from letshangout.ratelimit import rate_limit
from lobbies import codes
from lobbies.availability import weekly
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed
from lobbies.page.labels import viewer_zone, window_label
from lobbies.page.lobby import delete_confirmation, lobby_context
from lobbies.people import identity
from lobbies.people.access import (
    absolute_lobby_url,
    canonical_code,
    load_for_organizer,
    load_for_participant,
    lobby_url,
    participant_key,
)
from lobbies.retention import endless_series_end
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby
from voting import decisions, services, settling
from voting.calendar import ics
from voting.forms import NotifyForm, PlaceForm, ReopenForm, SettleForm, VoteForm
from voting.presenters import place_rows, places_context, ranked_places, window_view
from voting.weekly_settle import WeeklySettleForm

PLACES_TEMPLATE = "voting/_places.html"


def _render_places(request, snapshot, seat, partial: str, **extra) -> HttpResponse:
    """A part of the places section, as htmx swaps it in: only what that section shows. The
    live parts a place or vote also changes (the organizer's best time and place) come with
    the live poll, which this asks for now rather than at its next tick."""
    context = {"lobby": snapshot.lobby, **places_context(request, snapshot, seat), **extra}
    response = render(request, f"{PLACES_TEMPLATE}#{partial}", context)
    return trigger_client_event(response, "live:poll")


def _fresh(snapshot: LobbySnapshot) -> LobbySnapshot:
    """The lobby after a change this request made (a new rev: one GetItem and one Query)."""
    return load_lobby(snapshot.code)


def _back_to_lobby(code: str, place_id: str | None = None) -> HttpResponse:
    return redirect(lobby_url(code) + (f"#place-{place_id}" if place_id else "#places"))


# --- places ---------------------------------------------------------------------------------------


def _propose_form_back(request, snapshot, seat, **extra) -> HttpResponse:
    """The propose form sent back as it was typed: the places section for htmx, else the
    page."""
    if request.htmx:
        return _render_places(request, snapshot, seat, "places", **extra)
    context = {**lobby_context(request, snapshot, seat), **extra}
    return render(request, "lobbies/lobby.html", context, status=HTTPStatus.BAD_REQUEST)


def _proposing_too_often(request: HttpRequest, message: str, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    return _propose_what_was_sent(request, snapshot, seat, message)


def _removed_while_editing(request, snapshot: LobbySnapshot, place_id: str) -> bool:
    """An edit sent for a place that is gone: what was typed comes back in the propose form
    rather than being lost, while places may still be proposed."""
    return (
        request.method == "POST"
        and codes.is_id(place_id)
        and not services.lock_reason(snapshot.lobby)
    )


def _propose_what_was_sent(request, snapshot, seat, message: str) -> HttpResponse:
    """The propose form filled with the place this request sent, and why it came back."""
    form = PlaceForm(request.POST)
    form.is_valid()
    form.add_error(None, message)
    return _propose_form_back(request, snapshot, seat, place_form=form)


@require_POST
@rate_limit(
    "place_propose",
    refused=_proposing_too_often,
    per=participant_key,
    backstop="place_propose_address",
)
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
        except LobbyNotFound as error:
            raise Http404(error.message) from error
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            done = _("“%(name)s” is on the list.") % {"name": place.name}
            if request.htmx:
                return _render_places(request, _fresh(snapshot), seat, "places", places_status=done)
            messages.success(request, done)
            return _back_to_lobby(snapshot.code, place.place_id)
    return _propose_form_back(request, snapshot, seat, place_form=form, duplicate_place=duplicate)


@require_http_methods(["GET", "POST"])
def edit_place(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    place = snapshot.place(place_id)
    if place is None and _removed_while_editing(request, snapshot, place_id):
        gone = _("That place was removed while you were editing it. Propose it again below.")
        return _propose_what_was_sent(request, snapshot, seat, gone)
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
                return _back_to_lobby(snapshot.code, place_id)
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


@require_http_methods(["GET", "POST"])
def delete_place(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    """GET: asks first, showing the place (the Remove or Withdraw button without JavaScript
    comes here); POST: takes it off the list."""
    snapshot, seat = load_for_participant(request, code)
    if request.method == "GET":
        return _confirm_removal(request, snapshot, seat, place_id)
    place = snapshot.place(place_id)
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
        fresh = _fresh(snapshot)
        extra = {"places_error": error, "places_status": status}
        return _render_places(request, fresh, seat, "places-update", **extra)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, status)
    return _back_to_lobby(snapshot.code)


def _confirm_removal(request, snapshot: LobbySnapshot, seat: str, place_id: str) -> HttpResponse:
    """Only who may take the place off the list is asked; anyone else gets the outsiders'
    404, and a place that cannot go now says why on the lobby page."""
    try:
        outcome = services.removal(snapshot, seat, place_id)
    except NotAllowed as error:
        raise Http404(error.message) from error
    except LobbyError as error:
        messages.error(request, error.message)
        return _back_to_lobby(snapshot.code, place_id if snapshot.place(place_id) else None)
    ranked = next(
        r for r in ranked_places(snapshot, get_language()) if r.place.place_id == place_id
    )
    removing = outcome == "removed"
    context = {
        "lobby": snapshot.lobby,
        "question": _("Remove this place?") if removing else _("Withdraw this place?"),
        "place": ranked.place,
        "proposer": ranked.proposer,
        "item_template": "voting/_place_shown.html",
        "action": ranked.delete_url,
        "button_label": pgettext("remove a place from the list", "Remove")
        if removing
        else _("Withdraw"),
        "button_item": ranked.place.name,
        "cancel_url": f"{lobby_url(snapshot.code)}#place-{place_id}",
    }
    return delete_confirmation(request, context)


# --- votes ----------------------------------------------------------------------------------------


@require_POST
def vote(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    """Two DynamoDB requests when this browser has a seat (the vote and the rev): nothing is
    read. With htmx the answer is empty and the live poll, asked for at once, brings the
    cards with their new tallies; a refusal shows the places as they are now."""
    canonical = canonical_code(code)
    seat = identity.seat_in(request, canonical)
    if seat is None:  # a signed-in person on a new device: found by reading the lobby
        seat = load_for_participant(request, code)[1]
    form = VoteForm(request.POST)
    try:
        if not form.is_valid():
            raise LobbyError(_("Choose yes, if need be or no."))
        services.cast_vote(canonical, seat, place_id, form.cleaned_data["value"])
    except LobbyNotFound as error:
        raise Http404(error.message) from error
    except LobbyError as refused:
        return _vote_refused(request, code, place_id, refused.message)
    if request.htmx:
        return trigger_client_event(HttpResponse(status=HTTPStatus.NO_CONTENT), "live:poll")
    return _back_to_lobby(canonical, place_id)


def _vote_refused(request: HttpRequest, code: str, place_id: str, error: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    if request.htmx:
        return _render_places(request, snapshot, seat, "places-update", places_error=error)
    messages.error(request, error)
    # An unknown place has no card on the page to go back to.
    return _back_to_lobby(snapshot.code, place_id if snapshot.place(place_id) else None)


# --- the decision ---------------------------------------------------------------------------------


def _settle_form(request, snapshot: LobbySnapshot, data=None) -> tuple[SettleForm, dict]:
    viewer_tz = viewer_zone(request, snapshot.lobby)
    rec = decisions.recommendation(snapshot)
    names = {place.place_id: place.name for place in snapshot.places}
    initial = {
        "window": str(rec.window.start_slot) if rec.window else "other",
        "place": rec.place.place_id if rec.place else "",
    }
    # A weekly lobby's first date is left to the page's script (which follows the chosen
    # time) or, without it, to the server: a date filled in here would stay on the
    # recommended weekday when another time is chosen.
    form_class = WeeklySettleForm if weekly.is_weekly(snapshot.lobby) else SettleForm
    form = form_class(
        data,
        initial=initial,
        spec=rec.spec,
        width=rec.width,
        best=rec.windows,
        places=[(score.place_id, names[score.place_id]) for score in rec.places],
        viewer_tz=viewer_tz,
        window_texts={
            w.start_slot: window_label(w, viewer_tz, rec.spec.whole_day) for w in rec.windows
        },
    )
    rows = {row.place.place_id: row for row in place_rows(snapshot, None)}
    context = {
        "windows": [window_view(snapshot, rec, w, viewer_tz) for w in rec.windows],
        "place_rows": [rows[score.place_id] for score in rec.places],
        "viewer_zone_name": viewer_tz,
    }
    if form_class is WeeklySettleForm:
        context.update(_retention_context(snapshot.lobby))
    return form, context


def _retention_context(lobby) -> dict:
    """How long a weekly lobby is kept once settled, for the settle form to say."""
    series_end = endless_series_end(datetime.now(UTC)).astimezone(ZoneInfo(lobby.timezone))
    return {
        "retention_days": settings.LOBBY_RETENTION_DAYS,
        "series_end": dateformat.format(series_end, local_format("DAY_YEAR_FORMAT")),
    }


@require_http_methods(["GET", "POST"])
def settle(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    if snapshot.lobby.status == services.SETTLED:
        messages.info(
            request, _("This lobby is already settled. Reopen it to change the decision.")
        )
        return redirect(lobby_url(snapshot.code))
    data = request.POST if request.method == "POST" else None
    form, context = _settle_form(request, snapshot, data)
    if request.method == "POST" and form.is_valid():
        start, place = form.cleaned_data["start_slot"], form.cleaned_data["place"] or None
        repeat = form.cleaned_data.get("repeat")
        try:
            sent = settling.settle(snapshot, seat, start, place, repeat=repeat)
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _settled_message(sent))
            return redirect(lobby_url(snapshot.code))
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
    form = ReopenForm(request.POST, lobby=snapshot.lobby)
    if form.is_valid():
        try:
            decisions.reopen(snapshot, seat, form.cleaned_data["deadline"])
        except LobbyError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The lobby is open again."))
        # Reopening unlocks the whole page (grid, places, votes), not only the decision.
        if request.htmx:
            return HttpResponseClientRedirect(lobby_url(snapshot.code))
        return redirect(lobby_url(snapshot.code))
    if request.htmx:
        context = {"lobby": snapshot.lobby, **places_context(request, snapshot, seat)}
        return render(request, "voting/_decision.html#decision", {**context, "reopen_form": form})
    context = {**lobby_context(request, snapshot, seat), "reopen_form": form}
    return render(request, "lobbies/lobby.html", context, status=HTTPStatus.BAD_REQUEST)


@require_GET
def event_ics(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, _seat = load_for_participant(request, code)
    event = decisions.settled_event(snapshot, absolute_lobby_url(request, snapshot.code))
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
        return redirect(lobby_url(snapshot.code))
    messages.success(request, _notify_message(snapshot.lobby.status == services.SETTLED, enabled))
    return redirect(lobby_url(snapshot.code) + "#decision")


def _notify_message(settled: bool, enabled: bool) -> str:
    """What the switch now does: on a settled lobby, the next email is about a change."""
    if settled:
        if enabled:
            return _("You will get an email if the time or place changes.")
        return _("You will not get an email if the time or place changes.")
    if enabled:
        return _("You will get an email when this lobby is settled.")
    return _("You will not get an email when this lobby is settled.")
