"""The lobby page: everything it shows, composed from one snapshot, and its live parts.

Presentation beside the views of both apps (voting's views show the page again with a
refused form). Each section's context comes from its own presenter: the grid from
lobbies' availability presenters, and whatever the site adds through its settings (places
and the decision, from voting's presenters).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from letshangout.formats import local_format
from lobbies.availability.presenters import availability_context, group_view
from lobbies.codes import display_code
from lobbies.comments.presenters import comments_context
from lobbies.derived import kept
from lobbies.page.labels import chosen_zone, time_text
from lobbies.people.access import lobby_url
from lobbies.people.lists import first_people
from lobbies.people.seats import late_join_allowed
from lobbies.snapshot import LobbySnapshot

# What the lobby page shows beside lobbies' own parts, and which of its parts are live, is
# the site's choice (settings.LOBBY_PAGE_SECTIONS, LOBBY_JOIN_SECTIONS, LOBBY_LIVE_FRAGMENTS),
# as Django's context processors are: apps built on lobbies (voting) add their parts there,
# and lobbies never imports them.


@cache
def _callables(paths: tuple[str, ...]) -> tuple[Callable, ...]:
    return tuple(import_string(path) for path in paths)


def _sections(setting: str, *args) -> dict:
    context = {}
    for section in _callables(tuple(getattr(settings, setting))):
        context.update(section(*args))
    return context


def live_fragments() -> list[str]:
    """The page's parts that change when other people act: the poll view renders each from
    the same lobby_context as an htmx out-of-band swap (lobbies/_live.html), and
    static/js/live.js applies them. A live part is an inline partial whose root element has a
    stable id and `{% if oob %} hx-swap-oob="true"{% endif %}`. Never list what a person is
    editing (their own grid, a half-typed form): a poll would replace it under their fingers."""
    return list(settings.LOBBY_LIVE_FRAGMENTS)


def lobby_context(
    request: HttpRequest,
    snapshot: LobbySnapshot,
    seat: str,
    *,
    oob: bool = False,
    marks=None,
    error: str | None = None,
) -> dict:
    """Everything the lobby page shows, from one snapshot (`oob`: as the live poll sends it,
    each live part marked to replace its twin on the page; `marks` and `error`: a refused
    save shown back as it was sent)."""
    lobby = snapshot.lobby
    return {
        "oob": oob,
        "lobby": lobby,
        "me": snapshot.participant(seat),
        "is_organizer": snapshot.is_organizer(seat),
        "can_take_over": _can_take_over(snapshot, seat),
        "display_code": display_code(snapshot.code),
        "invite_url": request.build_absolute_uri(lobby_url(snapshot.code)),
        "new_token_url": _pop_new_token_url(request, snapshot.code),
        "participants": list(snapshot.participants.values()),
        "people_html": people_html(snapshot, seat, get_language()),
        "expires_at": datetime.fromtimestamp(int(lobby.expires_at), UTC)
        if lobby.expires_at
        else None,
        **_expiry(request, lobby),
        "live_fragments": live_fragments(),
        "avail": availability_context(request, snapshot, seat, marks=marks, error=error),
        **group_view(request, snapshot, oob=oob),
        **comments_context(request, snapshot, seat),
        **_sections("LOBBY_PAGE_SECTIONS", request, snapshot, seat),
    }


def _can_take_over(snapshot: LobbySnapshot, seat: str) -> bool:
    """A lobby left without an organizer offers its participants to take it over."""
    me = snapshot.participant(seat)
    return snapshot.needs_organizer and me is not None and not me.is_former


def join_context(request: HttpRequest, snapshot: LobbySnapshot, form) -> dict:
    """The page a visitor who is not in the lobby sees: its title and the join form. A settled
    lobby says so first; what it settled on is shown only where the visitor may still join
    (DESIGN.md: outsiders see the title and the join form, nothing more)."""
    lobby = snapshot.lobby
    context = {
        "lobby": lobby,
        "display_code": display_code(snapshot.code),
        "form": form,
        "is_settled": lobby.status == "settled",
        "late_join": late_join_allowed(lobby),
    }
    if context["is_settled"] and context["late_join"] and not lobby.joining_locked:
        context.update(_sections("LOBBY_JOIN_SECTIONS", request, snapshot))
    return context


def _expiry(request: HttpRequest, lobby) -> dict:
    """When the lobby will be deleted (its TTL), in the viewer's own zone and language."""
    if not lobby.expires_at:
        return {}
    zone = chosen_zone(request) or lobby.timezone
    local = datetime.fromtimestamp(int(lobby.expires_at), UTC).astimezone(ZoneInfo(zone))
    label = _("%(day)s, %(time)s") % {
        "day": dateformat.format(local, local_format("DAY_YEAR_FORMAT")),
        "time": time_text(local),
    }
    return {"expires_label": label, "expires_zone": zone}


def people_html(snapshot: LobbySnapshot, seat: str, language: str) -> SafeString:
    """The first of the participants as one viewer sees them (their badge, the organizer's
    Remove buttons): the same for that viewer at one rev. The rest load on demand."""
    shown = {person.participant_id for person in first_people(snapshot)}
    # What differs between viewers: only the organizer's buttons, and the "you" badge of
    # the few who are shown. Everyone else watching shares one rendering per rev.
    variant = (language, snapshot.is_organizer(seat), seat if seat in shown else None)
    return kept("people", snapshot, variant, lambda: _render_people(snapshot, seat))


def _render_people(snapshot: LobbySnapshot, seat: str) -> SafeString:
    context = {
        "participants": first_people(snapshot),
        "lobby": snapshot.lobby,
        "me": snapshot.participant(seat),
        "is_organizer": snapshot.is_organizer(seat),
    }
    return mark_safe(render_to_string("lobbies/_participants.html#people", context))


def _pop_new_token_url(request: HttpRequest, code: str) -> str | None:
    token = request.session.pop(f"new_token:{code}", None)
    if token is None:
        return None
    return request.build_absolute_uri(reverse("lobbies:personal_link", args=[code, token]))


CONFIRMATION = "lobbies/confirm_delete.html"


def delete_confirmation(request: HttpRequest, context: dict) -> HttpResponse:
    """The step before deleting a comment or a place, for who has no JavaScript (with it,
    the control asks with hx-confirm): the page, or its card alone for htmx.

    `context`: lobby, question, the item (item_template and what it shows), action and
    fields (the POST that deletes), button_label and button_item (its accessible name),
    cancel_url."""
    template = f"{CONFIRMATION}#confirmation" if request.htmx else CONFIRMATION
    return render(request, template, context)
