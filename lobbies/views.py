"""Lobby pages: create, find, join, the lobby itself, and the organizer's controls."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letshangout.compression import PagePart, PartedResponse
from letshangout.ratelimit import missed, rate_limit, succeeded
from lobbies import availability, identity, services
from lobbies.codes import display_code, normalize_code
from lobbies.forms import CreateLobbyForm, EditLobbyForm, FindLobbyForm, JoinForm, LobbyForm
from lobbies.services import LobbyError, LobbySnapshot


def _load(code: str, *, to_show: bool = False, rev: int | None = None) -> LobbySnapshot:
    """The lobby for a code from the URL; 404 for anything that is not a live lobby.

    `to_show`: the request only shows the lobby, so a shared snapshot will do (read_lobby;
    `rev` when the caller has just read it).
    """
    # A malformed code is looked up too, as one that can never match, so that "not a code"
    # and "no such lobby" take the same time and say the same thing (see `find`).
    canonical = normalize_code(code) or _NEVER_A_CODE
    try:
        return services.read_lobby(canonical, rev) if to_show else services.load_lobby(canonical)
    except services.LobbyNotFound as error:
        raise Http404(error.message) from error


def _my_seat(request: HttpRequest, snapshot: LobbySnapshot) -> str | None:
    """This browser's participant id in the lobby, or None for an outsider.

    A signed-in user who joined on another device is recognised by account and remembered.
    """
    seat = identity.seat_in(request, snapshot.code)
    if snapshot.participant(seat) is not None:
        return seat
    mine = snapshot.participant_for_user(identity.user_id_of(request))
    if mine is not None:
        identity.remember(request, snapshot.code, mine.participant_id)
        return mine.participant_id
    return None


def load_for_participant(
    request: HttpRequest, code: str, *, to_show: bool = False, rev: int | None = None
) -> tuple[LobbySnapshot, str]:
    """The lobby and my participant id; 404 for outsiders, so codes leak nothing."""
    snapshot = _load(code, to_show=to_show, rev=rev)
    seat = _my_seat(request, snapshot)
    if seat is None:
        raise Http404(_("You are not in this lobby."))
    return snapshot, seat


def load_for_organizer(request: HttpRequest, code: str) -> tuple[LobbySnapshot, str]:
    snapshot, seat = load_for_participant(request, code)
    if not snapshot.is_organizer(seat):
        raise PermissionDenied(_("Only the organizer can do that."))
    return snapshot, seat


def lobby_url(snapshot_or_code) -> str:
    code = snapshot_or_code if isinstance(snapshot_or_code, str) else snapshot_or_code.code
    return reverse("lobbies:detail", args=[code])


def _remember_membership(request: HttpRequest, code: str, membership) -> None:
    identity.remember(request, code, membership.participant.participant_id)
    if membership.token:
        # Shown once, on the next page: the link that brings this identity to another device.
        request.session[f"new_token:{code}"] = membership.token


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "lobbies/home.html", {"find_form": FindLobbyForm()})


# Looked up for a malformed code so that "no such lobby" and "not a code" take the same time;
# it contains letters a code never has, so it can never match a lobby.
_NEVER_A_CODE = "!NOCODE!"


@require_GET
@rate_limit("lobby_lookup", methods=("GET",), counts=missed)
def find(request: HttpRequest) -> HttpResponse:
    """Someone typed a code: go to that lobby, or say it was not found.

    A malformed code and an unknown one get the same answer, so guessing learns nothing.
    """
    code = normalize_code(request.GET.get("code", ""))
    if services.lobby_rev(code or _NEVER_A_CODE) is not None:
        return redirect("lobbies:detail", code=code)
    context = {
        "find_form": FindLobbyForm(initial={"code": request.GET.get("code", "")[:40]}),
        "find_error": _("We could not find a lobby with that code. Codes look like ABCD-EFGH."),
    }
    return render(request, "lobbies/home.html", context, status=HTTPStatus.NOT_FOUND)


@require_http_methods(["GET", "POST"])
@rate_limit("lobby_create", counts=succeeded)
def create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CreateLobbyForm(request.POST)
        if form.is_valid():
            membership = services.create_lobby(
                form.to_settings(),
                form.cleaned_data["display_name"],
                identity.user_id_of(request),
            )
            code = membership.participant.code
            _remember_membership(request, code, membership)
            return redirect("lobbies:detail", code=code)
    else:
        form = CreateLobbyForm(initial=_create_defaults(request))
    return render(request, "lobbies/create.html", {"form": form}, status=_form_status(form))


def _create_defaults(request: HttpRequest) -> dict:
    initial = {}
    if request.user.is_authenticated:
        initial["display_name"] = request.user.email.split("@")[0][:60]
    return initial


def _form_status(form) -> int:
    return HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK


def _seated(request: HttpRequest, code: str) -> bool:
    """This browser already holds a seat in the lobby: it is coming back, not guessing."""
    return identity.seat_in(request, code) is not None


@require_GET
@rate_limit("lobby_lookup", methods=("GET",), counts=missed, exempt=_seated)
def detail(request: HttpRequest, code: str) -> HttpResponse:
    snapshot = _load(code, to_show=True)
    if code != snapshot.code:
        return redirect("lobbies:detail", code=snapshot.code)
    seat = _my_seat(request, snapshot)
    if seat is None:
        return render(request, "lobbies/join.html", _join_context(snapshot, JoinForm()))
    return render_lobby(request, "lobbies/lobby.html", lobby_context(request, snapshot, seat))


def lobby_context(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str, *, oob: bool = False
) -> dict:
    """Everything the lobby page shows, computed from one snapshot (`oob`: as the live poll
    sends it, each live part marked to replace its twin on the page)."""
    lobby = snapshot.lobby
    return {
        "oob": oob,
        "snapshot": snapshot,
        "lobby": lobby,
        "me": snapshot.participant(seat),
        "is_organizer": snapshot.is_organizer(seat),
        "display_code": display_code(snapshot.code),
        "invite_url": request.build_absolute_uri(lobby_url(snapshot)),
        "new_token_url": _pop_new_token_url(request, snapshot.code),
        "participants": list(snapshot.participants.values()),
        "people_html": people_html(snapshot, seat),
        "dates": [date.fromisoformat(d) for d in lobby.dates],
        "live_fragments": LIVE_FRAGMENTS,
        **availability.page_context(request, snapshot, seat, oob=oob),
        **_places_context(request, snapshot, seat),
    }


# NUL never appears in a page: forms refuse it, so a marker made of it cannot be forged.
_SPLICE = re.compile("\x00([0-9]+)\x00")


def render_lobby(
    request: HttpRequest, template_name: str, context: dict, status: int = HTTPStatus.OK
) -> HttpResponse:
    """render() for a template showing lobby_context, with its three big parts (my grid's
    cells, the group view, the zone options: ~85 % of a big lobby's page) spliced in as
    bytes after the template has run.

    The engine joins every node's output again at each level of nesting (blocks, includes,
    partials), so a 200 KB part five levels down was copied five times, as two bytes a
    character once anything on the page was outside Latin-1 ("–", "✓", a name): a fifth of
    the page's time. Rendered with plain render(), the same context gives the same page.

    Parts that many pages repeat come as PageParts, compressed once for all of them."""
    parts: list[PagePart] = []

    def marker(html: str | PagePart) -> str:
        parts.append(html if isinstance(html, PagePart) else PagePart(html))
        return mark_safe(f"\x00{len(parts) - 1}\x00")

    context = dict(context)
    if "avail" in context:
        avail = context["avail"]
        context["avail"] = {
            **avail,
            "body": marker(avail["body"]),
            "tz_options": marker(avail["tz_options"]),
        }
    if "group_html" in context:
        context["group_html"] = marker(context["group_html"])
    # split() alternates: page text, a part's number, page text, ...
    pieces: list = _SPLICE.split(render_to_string(template_name, context, request))
    pieces[0::2] = [text.encode() for text in pieces[0::2]]
    pieces[1::2] = [parts[int(number)] for number in pieces[1::2]]
    return PartedResponse(pieces, status=status)


def people_html(snapshot: LobbySnapshot, seat: str) -> str:
    """The participants list's items. Each person's item looks the same to every viewer but
    themselves (the organizer also sees Remove buttons), so the others' are rendered once per
    snapshot and only mine here."""
    organizer_view = snapshot.is_organizer(seat)
    others = snapshot.derive(
        ("people", organizer_view, get_language()),
        lambda: {
            pid: _person_html(snapshot, person, is_me=False, can_remove=organizer_view)
            for pid, person in snapshot.participants.items()
        },
    )
    mine = _person_html(snapshot, snapshot.participant(seat), is_me=True, can_remove=False)
    return mark_safe("\n".join(mine if pid == seat else html for pid, html in others.items()))


def _person_html(snapshot: LobbySnapshot, person, *, is_me: bool, can_remove: bool) -> str:
    return _person_item(
        snapshot.code,
        person.participant_id,
        person.display_name,
        is_organizer=person.participant_id == snapshot.lobby.owner_id,
        is_me=is_me,
        can_remove=can_remove,
        language=get_language(),
    )


@lru_cache(maxsize=1024)
def _person_item(code, participant_id, display_name, *, is_organizer, is_me, can_remove, language):
    """One person's item, from all it shows (`language`: it is rendered in the active one):
    every change in a lobby makes a new snapshot, and the people it did not rename keep their
    rendered items."""
    context = {
        "person": {"participant_id": participant_id, "display_name": display_name},
        "owner_id": participant_id if is_organizer else None,
        "code": code,
        "is_me": is_me,
        "can_remove": can_remove,
    }
    return render_to_string("lobbies/_participants.html#person", context)


def _places_context(request: HttpRequest, snapshot: LobbySnapshot, seat: str) -> dict:
    # voting builds on lobbies (its views use this module), so it is imported late.
    from voting.views import places_context

    return places_context(request, snapshot, seat)


def after_answer(request: HttpRequest, lobby) -> None:
    """The organizer may have asked for an email once everyone has answered (never raises)."""
    if not lobby.notify_owner_all_answered or lobby.all_answered_notified_at is not None:
        # Known from the lobby item already: a save stays two requests.
        return
    from voting.notifications import notify_if_all_answered

    notify_if_all_answered(lobby.code, request.build_absolute_uri(lobby_url(lobby.code)))


def _pop_new_token_url(request: HttpRequest, code: str) -> str | None:
    token = request.session.pop(f"new_token:{code}", None)
    if token is None:
        return None
    return request.build_absolute_uri(reverse("lobbies:personal_link", args=[code, token]))


def _join_context(snapshot: LobbySnapshot, form: JoinForm) -> dict:
    return {
        "lobby": snapshot.lobby,
        "display_code": display_code(snapshot.code),
        "form": form,
    }


@require_POST
@rate_limit("lobby_lookup", counts=missed)
def join(request: HttpRequest, code: str) -> HttpResponse:
    snapshot = _load(code)
    if _my_seat(request, snapshot) is not None:
        return redirect(lobby_url(snapshot))
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            membership = services.join_lobby(
                snapshot, form.cleaned_data["display_name"], identity.user_id_of(request)
            )
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            _remember_membership(request, snapshot.code, membership)
            return redirect(lobby_url(snapshot))
    return render(
        request,
        "lobbies/join.html",
        _join_context(snapshot, form),
        status=HTTPStatus.BAD_REQUEST,
    )


@require_GET
@rate_limit("lobby_lookup", methods=("GET",), counts=missed)
def personal_link(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The personal link: this browser becomes that participant."""
    snapshot = _load(code)
    participant = services.participant_by_token(snapshot, token) if len(token) < 64 else None
    if participant is None:
        raise Http404(_("This personal link is not valid any more."))
    identity.remember(request, snapshot.code, participant.participant_id)
    messages.success(request, _("Welcome back, %(name)s.") % {"name": participant.display_name})
    return redirect(lobby_url(snapshot))


@require_POST
def new_personal_link(request: HttpRequest, code: str) -> HttpResponse:
    """A fresh personal link for someone who lost theirs (the old one stops working)."""
    snapshot, seat = load_for_participant(request, code)
    token = services.new_personal_token(snapshot, seat)
    request.session[f"new_token:{snapshot.code}"] = token
    return redirect(lobby_url(snapshot))


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    lobby = snapshot.lobby
    kept = frozenset(date.fromisoformat(d) for d in lobby.dates)
    if request.method == "POST":
        form = EditLobbyForm(request.POST, kept_dates=kept)
        if form.is_valid():
            try:
                services.update_settings(
                    snapshot, seat, form.cleaned_data["version"], form.to_settings()
                )
            except services.StaleEdit as error:
                messages.error(request, error.message)
                current = services.load_lobby(snapshot.code).lobby
                form = EditLobbyForm(
                    initial={**LobbyForm.initial_from(current), "version": current.version},
                    kept_dates=kept,
                )
                context = {"form": form, "lobby": current, "answers_exist": True}
                return render(request, "lobbies/edit.html", context, status=HTTPStatus.CONFLICT)
            messages.success(request, _("Settings saved."))
            return redirect(lobby_url(snapshot))
    else:
        form = EditLobbyForm(
            initial={**LobbyForm.initial_from(lobby), "version": lobby.version}, kept_dates=kept
        )
    return render(
        request,
        "lobbies/edit.html",
        {"form": form, "lobby": lobby, "answers_exist": _answers_exist(snapshot)},
        status=_form_status(form),
    )


def _answers_exist(snapshot: LobbySnapshot) -> bool:
    return any(p.answered_at for p in snapshot.participants.values())


@require_POST
def set_lock(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    locked = request.POST.get("locked") == "1"
    services.set_joining_locked(snapshot, seat, locked)
    messages.success(request, _("Joining is locked.") if locked else _("Joining is open again."))
    return redirect(lobby_url(snapshot))


@require_POST
def remove_participant(request: HttpRequest, code: str, participant_id: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    removed = snapshot.participant(participant_id)
    try:
        services.remove_participant(snapshot, seat, participant_id)
    except LobbyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": removed.display_name})
    return redirect(lobby_url(snapshot))


@require_POST
def leave(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    try:
        services.leave_lobby(snapshot, seat)
    except LobbyError as error:
        messages.error(request, error.message)
        return redirect(lobby_url(snapshot))
    identity.forget(request, snapshot.code)
    messages.success(request, _("You left “%(title)s”.") % {"title": snapshot.lobby.title})
    return redirect("lobbies:home")


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    if request.method == "POST":
        services.delete_lobby(snapshot, seat)
        identity.forget(request, snapshot.code)
        messages.success(
            request, _("The lobby “%(title)s” is deleted.") % {"title": snapshot.lobby.title}
        )
        return redirect("lobbies:home")
    return render(request, "lobbies/delete.html", {"lobby": snapshot.lobby})


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "lobbies/mine.html", {"entries": services.my_lobbies(request.user.pk)})


# --- availability and live updates -----------------------------------------------------------

# Sections of the lobby page that change when other people act. The poll view renders every
# one of them from the same lobby_context, as htmx out-of-band swaps (lobbies/_live.html), and
# static/js/live.js applies them. To make a section live:
#   1. define it as an inline partial whose root element has a stable id and
#      `{% if oob %} hx-swap-oob="true"{% endif %}`;
#   2. render it on the page as usual, with whatever it needs in lobby_context;
#   3. append "template.html#partial" here.
# Never list what a person is editing (their own grid, a half-typed form): a poll would
# replace it under their fingers.
LIVE_FRAGMENTS: list[str] = [
    "lobbies/_participants.html#participants",
    "lobbies/_group_view_rendered.html",
    "lobbies/_availability.html#grid-notice",
    "voting/_decision.html#decision",
    "voting/_places.html#places-list",
]


@require_POST
def save_availability(request: HttpRequest, code: str) -> HttpResponse:
    """Store my marks: from grid.js (htmx-style, bitmaps) or the plain form (checkboxes).

    Two DynamoDB requests: the Lobby item (GetItem) and one transaction writing my item and
    the rev. Everyone else's answers are read only to show a refused plain form again."""
    canonical = normalize_code(code)
    seat = identity.seat_in(request, canonical) if canonical else None
    lobby = services.get_lobby(canonical) if seat else None
    if lobby is None:
        # Not seated in this session (an outsider, or signed in on a new device) or no such
        # lobby: the full check, which 404s or finds the seat.
        snapshot, seat = load_for_participant(request, code)
        lobby = snapshot.lobby
    if request.POST.get("participant") != seat:
        message = _(
            "This page was opened as someone else in this lobby. Reload it to see your own "
            "answers; nothing was saved."
        )
        return _availability_refused(request, lobby, seat, message, HTTPStatus.FORBIDDEN)
    spec = availability.spec_for(lobby)
    viewer_tz = availability.valid_zone(request.POST.get("tz")) or availability.viewer_zone(
        request, lobby
    )
    grid_key = request.POST.get("grid", "")
    marks = None
    try:
        services.check_can_answer(lobby, seat, grid_key)
        marks = availability.read_marks(request.POST, spec, viewer_tz)
        availability.check_marks(spec, viewer_tz, *marks)
        services.save_availability(lobby, seat, *marks, grid_key)
    except services.NotInLobby as error:
        raise Http404(error.message) from error
    except (LobbyError, availability.InvalidMarks) as error:
        conflict = isinstance(error, services.AnswersClosed | services.GridChanged)
        status = HTTPStatus.CONFLICT if conflict else HTTPStatus.BAD_REQUEST
        return _availability_refused(request, lobby, seat, error.message, status, marks)
    after_answer(request, lobby)
    if request.htmx:
        return render(request, "lobbies/_availability.html#save-status", {"avail": {"saved": True}})
    messages.success(request, _("Your availability is saved."))
    return redirect(lobby_url(lobby.code) + "#availability")


def _availability_refused(request, lobby, seat, message, status, marks=None) -> HttpResponse:
    """Nothing was stored. The plain form comes back with the marks as sent, so no work is
    lost; grid.js keeps its own marks and shows the message."""
    if request.htmx:
        return render(
            request,
            "lobbies/_availability.html#save-status",
            {"avail": {"error": message}},
            status=status,
        )
    snapshot, seat = load_for_participant(request, lobby.code)
    context = lobby_context(request, snapshot, seat)
    context.update(availability.page_context(request, snapshot, seat, marks=marks, error=message))
    return render_lobby(request, "lobbies/lobby.html", context, status=status)


@require_GET
def poll(request: HttpRequest, code: str) -> HttpResponse:
    """Anything new since rev N? One GetItem when nothing changed (204); otherwise the one
    lobby Query and every live fragment as an out-of-band swap. X-Lobby-Rev says the rev."""
    canonical = normalize_code(code)
    if canonical is None or identity.seat_in(request, canonical) is None:
        raise Http404(_("You are not in this lobby."))
    known = request.GET.get("rev", "")
    if not known.isdigit() or len(known) > 15:
        return HttpResponse(status=HTTPStatus.BAD_REQUEST)
    rev = services.lobby_rev(canonical)
    if rev is None:
        raise Http404(_("There is no lobby with that code."))
    if rev == int(known):
        response = HttpResponse(status=HTTPStatus.NO_CONTENT)
    else:
        snapshot, seat = load_for_participant(request, canonical, to_show=True, rev=rev)
        context = lobby_context(request, snapshot, seat, oob=True)
        response = render_lobby(request, "lobbies/_live.html", context)
        rev = int(snapshot.lobby.rev)
    response["X-Lobby-Rev"] = str(rev)
    add_never_cache_headers(response)
    return response


@require_GET
def group(request: HttpRequest, code: str) -> HttpResponse:
    """The group view alone, filtered (?filter=1&only=<id>…), for htmx; the page otherwise."""
    snapshot, _seat = load_for_participant(request, code, to_show=True)  # 404 for outsiders
    if not request.htmx:
        return redirect(f"{lobby_url(snapshot)}?{request.GET.urlencode()}#group")
    context = availability.group_view(request, snapshot)
    return render_lobby(request, "lobbies/_group_view_rendered.html", context)


@require_GET
def set_timezone(request: HttpRequest, code: str) -> HttpResponse:
    """The zone picker: remember the viewer's choice in the cookie grid.js also reads."""
    canonical = normalize_code(code)
    if canonical is None:
        raise Http404(_("There is no lobby with that code."))
    response = redirect(lobby_url(canonical) + "#availability")
    zone = availability.valid_zone(request.GET.get("tz"))
    if zone is None:
        messages.error(request, _("That time zone is unknown; times are shown as before."))
        return response
    response.set_cookie(
        availability.TZ_COOKIE,
        zone,
        max_age=availability.TZ_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
