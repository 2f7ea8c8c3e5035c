"""Lobby pages: create, find, join, the lobby itself, and the organizer's controls.

The grid's own requests (saving marks, the live poll, the group view) are in grid_views.py.
"""

from __future__ import annotations

import math
from datetime import date
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letshangout.mail import has_verified_email, verified_emails
from letshangout.ratelimit import consume, missed, rate_limit, retry_after
from lobbies import services
from lobbies.availability.answers import unanswered_guests, unanswered_signed_in
from lobbies.codes import normalize_code
from lobbies.errors import LobbyError, LobbyNotFound, NotInLobby, StaleEdit
from lobbies.exports.feed_views import feed_section
from lobbies.forms import (
    CreateLobbyForm,
    EditLobbyForm,
    FindLobbyForm,
    JoinForm,
    today_in,
)
from lobbies.page.labels import chosen_zone, remember_zone, valid_zone
from lobbies.page.lobby import join_context, lobby_context
from lobbies.people import identity
from lobbies.people.access import (
    canonical_code,
    load,
    load_for_organizer,
    load_for_participant,
    lobby_url,
    my_seat,
    remember_membership,
)
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby, lobby_rev


def form_status(form) -> int:
    return HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "lobbies/home.html", {"find_form": FindLobbyForm()})


@require_GET
@rate_limit("lobby_lookup", methods=("GET",), counts=missed)
def find(request: HttpRequest) -> HttpResponse:
    """Someone typed a code: go to that lobby, or say it was not found.

    A malformed code and an unknown one get the same answer, so guessing learns nothing.
    """
    code = normalize_code(request.GET.get("code", ""))
    if lobby_rev(canonical_code(code or "")) is not None:
        return redirect("lobbies:detail", code=code)
    context = {
        "find_form": FindLobbyForm(initial={"code": request.GET.get("code", "")[:40]}),
        "find_error": _("We could not find a lobby with that code. Codes look like ABCD-EFGH."),
    }
    return render(request, "lobbies/home.html", context, status=HTTPStatus.NOT_FOUND)


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    status = None
    if request.method == "POST":
        form = CreateLobbyForm(
            request.POST,
            today=_visitor_today(request),
            organizer_has_email=has_verified_email(identity.user_id_of(request)),
        )
        wait = _creation_wait(request) if form.is_valid() else None
        if wait:
            # The form comes back as it was filled in, with the true wait.
            minutes = max(1, math.ceil(wait / 60))
            form.add_error(
                None,
                ngettext(
                    "You have created many lobbies in a short time. You can create another "
                    "in a minute; your answers here are kept.",
                    "You have created many lobbies in a short time. You can create another "
                    "in %(minutes)d minutes; your answers here are kept.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            status = HTTPStatus.TOO_MANY_REQUESTS
        elif form.is_valid():
            membership = services.create_lobby(
                form.to_settings(),
                form.cleaned_data["display_name"],
                identity.user_id_of(request),
            )
            code = membership.participant.code
            remember_membership(request, code, membership)
            return redirect("lobbies:detail", code=code)
    else:
        form = CreateLobbyForm(
            initial=_create_defaults(request),
            today=_visitor_today(request),
            organizer_has_email=has_verified_email(identity.user_id_of(request)),
        )
    context = {"form": form}
    return render(request, "lobbies/create.html", context, status=status or form_status(form))


def _creation_wait(request: HttpRequest) -> int | None:
    """Count a creation against its limits: per account when signed in, else per browser,
    with a looser per-address backstop for guests (who can drop their cookies). Returns the
    seconds to wait when a limit is used up, else None."""
    if request.user.is_authenticated:
        limits = [("lobby_create", f"user:{request.user.pk}")]
    else:
        limits = [
            ("lobby_create", f"browser:{identity.browser_hash(request)}"),
            ("lobby_create_address", None),
        ]
    for name, key in limits:
        if not consume(request, name, key):
            return retry_after(request, name, key)
    return None


def _visitor_today(request: HttpRequest):
    """Today where the visitor is (their zone's cookie), else in UTC: the first day offered."""
    return today_in(chosen_zone(request) or "UTC")


def _create_defaults(request: HttpRequest) -> dict:
    return _name_default(request)


def _name_default(request: HttpRequest) -> dict:
    """A signed-in person's own first name for the name field, or nothing: the field asks.
    Never the email's first part ("olga.f5bb" is nobody's name)."""
    user = request.user
    name = (user.first_name or "").strip() if user.is_authenticated else ""
    return {"display_name": name[:60]} if name else {}


def _seated(request: HttpRequest, code: str) -> bool:
    """This browser already holds a seat in the lobby: it is coming back, not guessing."""
    return identity.seat_in(request, code) is not None


@require_GET
@rate_limit("lobby_lookup", methods=("GET",), counts=missed, exempt=_seated)
def detail(request: HttpRequest, code: str) -> HttpResponse:
    snapshot = load(code)
    if code != snapshot.code:
        return redirect("lobbies:detail", code=snapshot.code)
    seat = my_seat(request, snapshot)
    if seat is None:
        form = JoinForm(initial=_name_default(request))
        return render(request, "lobbies/join.html", join_context(request, snapshot, form))
    return render(request, "lobbies/lobby.html", lobby_context(request, snapshot, seat))


@require_POST
@rate_limit("lobby_lookup", counts=missed)
def join(request: HttpRequest, code: str) -> HttpResponse:
    snapshot = load(code)
    if my_seat(request, snapshot) is not None:
        return redirect(lobby_url(snapshot.code))
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            membership = services.join_lobby(
                snapshot,
                form.cleaned_data["display_name"],
                identity.user_id_of(request),
                identity.browser_hash(request),
            )
        except LobbyNotFound as error:
            raise Http404(error.message) from error
        except LobbyError as error:
            form.add_error(None, error.message)
        else:
            remember_membership(request, snapshot.code, membership)
            response = redirect(lobby_url(snapshot.code))
            zone = valid_zone(form.cleaned_data["tz"])
            if zone and chosen_zone(request) is None:
                remember_zone(response, request, zone)
            return response
    context = join_context(request, snapshot, form)
    return render(request, "lobbies/join.html", context, status=HTTPStatus.BAD_REQUEST)


@require_http_methods(["GET", "POST"])
@rate_limit("lobby_lookup", methods=("GET", "POST"), counts=missed)
def personal_link(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The personal link: a page that asks, then (POST) this browser becomes that
    participant. A seat this browser already holds here is never replaced without saying so."""
    snapshot = load(code)
    participant = services.participant_by_token(snapshot, token) if len(token) < 64 else None
    if participant is None:
        raise Http404(_("This personal link is not valid any more."))
    current = snapshot.participant(my_seat(request, snapshot))
    if current is not None and current.participant_id == participant.participant_id:
        return redirect(lobby_url(snapshot.code))
    if request.method == "POST" and (current is None or request.POST.get("switch") == "1"):
        identity.remember(request, snapshot.code, participant.participant_id)
        messages.success(request, _("Welcome back, %(name)s.") % {"name": participant.shown_name})
        return redirect(lobby_url(snapshot.code))
    context = {"lobby": snapshot.lobby, "participant": participant, "current": current}
    status = HTTPStatus.CONFLICT if request.method == "POST" else HTTPStatus.OK
    return render(request, "lobbies/personal_link.html", context, status=status)


@require_POST
def new_personal_link(request: HttpRequest, code: str) -> HttpResponse:
    """A fresh personal link for someone who lost theirs (the old one stops working)."""
    snapshot, seat = load_for_participant(request, code)
    token = _or_404(services.new_personal_token, snapshot, seat)
    request.session[f"new_token:{snapshot.code}"] = token
    return redirect(lobby_url(snapshot.code))


def _or_404(action, *args):
    """Run a service whose lobby or seat may have gone a moment ago: that is a 404."""
    try:
        return action(*args)
    except (LobbyNotFound, NotInLobby) as error:
        raise Http404(error.message) from error


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    lobby = snapshot.lobby
    kept = frozenset(date.fromisoformat(d) for d in lobby.dates)
    if request.method == "POST":
        form = EditLobbyForm(
            request.POST, kept_dates=kept, organizer_has_email=_organizer_has_email(snapshot)
        )
        if form.is_valid():
            try:
                version = form.cleaned_data["version"]
                services.update_settings(snapshot, seat, version, form.to_settings())
            except StaleEdit as error:
                messages.error(request, error.message)
                return _edit_page(request, load_lobby(snapshot.code), HTTPStatus.CONFLICT)
            messages.success(request, _("Settings saved."))
            return redirect(lobby_url(snapshot.code))
        context = {"form": form, "lobby": lobby, **_edit_facts(snapshot)}
        return render(request, "lobbies/edit.html", context, status=form_status(form))
    return _edit_page(request, snapshot, HTTPStatus.OK)


def _organizer_has_email(snapshot: LobbySnapshot) -> bool:
    organizer = snapshot.organizer
    return has_verified_email(organizer.user_id if organizer else None)


def _edit_page(request: HttpRequest, snapshot: LobbySnapshot, status: int) -> HttpResponse:
    lobby = snapshot.lobby
    kept = frozenset(date.fromisoformat(d) for d in lobby.dates)
    initial = {**EditLobbyForm.initial_from(lobby), "version": lobby.version}
    form = EditLobbyForm(
        initial=initial, kept_dates=kept, organizer_has_email=_organizer_has_email(snapshot)
    )
    context = {"form": form, "lobby": lobby, **_edit_facts(snapshot)}
    return render(request, "lobbies/edit.html", context, status=status)


def _edit_facts(snapshot: LobbySnapshot) -> dict:
    """What the settings form says about the people in the lobby."""
    # Whom a reminder would reach (voting's reminders): those who kept the lobby's emails on.
    waiting = [p for p in unanswered_signed_in(snapshot) if p.notify_settled]
    reachable = verified_emails(person.user_id for person in waiting)
    guests = [p for p in unanswered_guests(snapshot) if p.verified_guest_email]
    count = len(reachable) + len(guests)
    return {"answers_exist": _answers_exist(snapshot), "reminder_count": count}


def _answers_exist(snapshot: LobbySnapshot) -> bool:
    return any(p.answered_at for p in snapshot.participants.values())


@require_POST
def set_lock(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    locked = request.POST.get("locked") == "1"
    _or_404(services.set_joining_locked, snapshot, seat, locked)
    messages.success(request, _("Joining is locked.") if locked else _("Joining is open again."))
    return redirect(lobby_url(snapshot.code))


@require_POST
def remove_participant(request: HttpRequest, code: str, participant_id: str) -> HttpResponse:
    snapshot, seat = load_for_organizer(request, code)
    removed = snapshot.participant(participant_id)
    try:
        services.remove_participant(snapshot, seat, participant_id)
    except LobbyError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s was removed and cannot join this lobby again.")
            % {"name": removed.shown_name},
        )
    return redirect(lobby_url(snapshot.code))


@require_POST
def leave(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    try:
        services.leave_lobby(snapshot, seat)
    except LobbyError as error:
        messages.error(request, error.message)
        return redirect(lobby_url(snapshot.code))
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
    context = {"entries": services.my_lobbies(request.user.pk), "feed": feed_section(request)}
    return render(request, "lobbies/mine.html", context)
