"""The availability grid's requests: saving my marks, the live poll, the group view, who can
come at one slot, and the zone picker."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lobbies.availability import saving as answering
from lobbies.availability.answers import answers_of
from lobbies.availability.marks import check_marks, read_marks
from lobbies.availability.presenters import group_view, slot_details, zone_options_html
from lobbies.codes import normalize_code
from lobbies.errors import AnswersClosed, GridChanged, LobbyError, NotInLobby
from lobbies.page.labels import remember_zone, valid_zone, viewer_zone
from lobbies.page.lobby import lobby_context
from lobbies.people import identity
from lobbies.people.access import canonical_code, load_for_participant, lobby_url, outsider
from lobbies.store import get_lobby, lobby_rev, snapshot_at

SAVE_STATUS = "lobbies/_availability.html#save-status"
NO_MARKS = (frozenset(), frozenset())


@require_POST
def save_availability(request: HttpRequest, code: str) -> HttpResponse:
    """Store my marks: from grid.js (bitmaps, htmx-style), the plain day editor, or a quick
    action. Two DynamoDB requests when this browser has a seat: the Lobby item and one
    transaction writing my item and the rev."""
    lobby, seat, stored = _lobby_seat_and_marks(request, code)
    if request.POST.get("participant") != seat:
        message = _(
            "This page was opened as someone else in this lobby. Reload it to see your own "
            "answers; nothing was saved."
        )
        return _refused(request, lobby.code, message, HTTPStatus.FORBIDDEN)
    viewer_tz = valid_zone(request.POST.get("tz")) or viewer_zone(request, lobby)
    marks = None
    try:
        sheet = answering.answer_sheet(lobby, request.POST.get("grid", ""))
        marks = read_marks(request.POST, sheet.spec, viewer_tz, stored)
        check_marks(sheet.spec, viewer_tz, *marks)
        answering.save_availability(sheet, seat, *marks)
    except NotInLobby as error:
        raise Http404(error.message) from error
    except LobbyError as error:
        conflict = isinstance(error, AnswersClosed | GridChanged)
        status = HTTPStatus.CONFLICT if conflict else HTTPStatus.BAD_REQUEST
        return _refused(request, lobby.code, error.message, status, marks)
    if request.htmx:
        return render(request, SAVE_STATUS, {"avail": {"saved": True}})
    messages.success(request, _("Your availability is saved."))
    day = request.POST.get("day", "")
    if day.isdigit() and len(day) < 5:  # the day editor: back to the day just saved
        return redirect(f"{lobby_url(lobby.code)}?day={day}#day-editor")
    return redirect(lobby_url(lobby.code) + "#availability")


def _lobby_seat_and_marks(request: HttpRequest, code: str):
    """The Lobby item, my seat and my saved marks. grid.js sends the whole grid, so a seated
    browser needs only the Lobby item (a save stays two requests); the plain day editor and
    quick actions change the saved marks, and an unseated browser must be found, so those
    read the lobby (which 404s for outsiders)."""
    seat = identity.seat_in(request, canonical_code(code))
    whole_grid = "yes" in request.POST or "maybe" in request.POST
    lobby = get_lobby(canonical_code(code)) if seat and whole_grid else None
    if lobby is not None:
        return lobby, seat, NO_MARKS
    snapshot, seat = load_for_participant(request, code)
    return snapshot.lobby, seat, answers_of(snapshot).get(seat) or NO_MARKS


def _refused(request, code: str, message: str, status: int, marks=None) -> HttpResponse:
    """Nothing was stored. The plain form comes back with the marks as sent, so no work is
    lost; grid.js keeps its own marks and shows the message."""
    if request.htmx:
        return render(request, SAVE_STATUS, {"avail": {"error": message}}, status=status)
    snapshot, seat = load_for_participant(request, code)
    context = lobby_context(request, snapshot, seat, marks=marks, error=message)
    return render(request, "lobbies/lobby.html", context, status=status)


@require_GET
def poll(request: HttpRequest, code: str) -> HttpResponse:
    """Anything new since rev N? One GetItem when nothing changed (204); otherwise every live
    fragment as an out-of-band swap. X-Lobby-Rev says the rev they show."""
    canonical = normalize_code(code)
    if canonical is None or identity.seat_in(request, canonical) is None:
        raise outsider(request)
    known = request.GET.get("rev", "")
    if not known.isdigit() or len(known) > 15:
        return HttpResponse(status=HTTPStatus.BAD_REQUEST)
    rev = lobby_rev(canonical)
    if rev is None:
        raise outsider(request)
    if rev == int(known):
        response = HttpResponse(status=HTTPStatus.NO_CONTENT)
    else:
        snapshot = snapshot_at(canonical, rev)
        seat = identity.seat_in(request, canonical)
        if snapshot.participant(seat) is None:
            raise outsider(request)
        context = lobby_context(request, snapshot, seat, oob=True)
        response = render(request, "lobbies/_live.html", context)
        rev = snapshot.rev
    response["X-Lobby-Rev"] = str(rev)
    add_never_cache_headers(response)
    return response


@require_GET
def group(request: HttpRequest, code: str) -> HttpResponse:
    """The group view alone, filtered (?only=<id>…), for htmx; the page otherwise."""
    snapshot, _seat = load_for_participant(request, code)
    if not request.htmx:
        return redirect(f"{lobby_url(snapshot.code)}?{request.GET.urlencode()}#group-view")
    return render(request, "lobbies/_group_view_rendered.html", group_view(request, snapshot))


@require_GET
def who(request: HttpRequest, code: str) -> HttpResponse:
    """Who can come at one cell (?day=&time=): the panel grid.js fills on hover, focus and
    tap; without JavaScript the same panel comes with the whole page."""
    snapshot, _seat = load_for_participant(request, code)
    details = slot_details(request, snapshot)
    if details is None:
        raise Http404(_("That time is not part of this lobby's grid."))
    context = {"details": details, "lobby": snapshot.lobby, "filter_query": _filter_query(request)}
    return render(request, "lobbies/_who.html", context)


def _filter_query(request: HttpRequest) -> str:
    """The heatmap filter this panel was asked with, for its "and N more" lists."""
    pairs = [(key, value) for key in ("known", "only") for value in request.GET.getlist(key)]
    return urlencode(pairs)


@require_GET
def set_timezone(request: HttpRequest, code: str) -> HttpResponse:
    """The zone picker: a page listing every zone, and with ?tz= the viewer's choice,
    remembered in the cookie grid.js also sets from the browser."""
    if "tz" not in request.GET:
        snapshot, _seat = load_for_participant(request, code)
        viewer_tz = viewer_zone(request, snapshot.lobby)
        context = {
            "lobby": snapshot.lobby,
            "viewer_tz": viewer_tz,
            "tz_options": zone_options_html(viewer_tz, get_language()),
        }
        return render(request, "lobbies/timezone.html", context)
    canonical = normalize_code(code)
    if canonical is None:
        raise Http404(_("There is no lobby with that code."))
    response = redirect(lobby_url(canonical) + "#availability")
    zone = valid_zone(request.GET.get("tz"))
    if zone is None:
        messages.error(request, _("That time zone is unknown; times are shown as before."))
        return response
    remember_zone(response, request, zone)
    return response
