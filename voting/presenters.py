"""What the lobby page shows of places, votes and the decision, from one snapshot.

Presentation beside the views: the lobby page (lobbies/page/lobby.py) and voting's own views
both use it. What every viewer sees alike (the ranking with its names) and each viewer's place
cards are kept under the lobby's code and rev (lobbies/derived.py), never with the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from letshangout.mail import has_verified_email
from lobbies.availability import weekly
from lobbies.derived import kept
from lobbies.page.labels import repeat_label, viewer_zone, window_label
from lobbies.people.access import absolute_lobby_url
from lobbies.snapshot import LobbySnapshot
from voting import decisions, services
from voting.calendar import ics
from voting.entities import Place
from voting.forms import GuestEmailForm, PlaceForm, ReopenForm
from voting.ranking import MAYBE, NO, VOTE_VALUES, YES


def vote_choices() -> list[tuple[str, str]]:
    """The answers to a place, in the active language."""
    return [
        (YES, pgettext("vote on a place", "Yes")),
        (MAYBE, pgettext("vote on a place", "If need be")),
        (NO, pgettext("vote on a place", "No")),
    ]


@dataclass(frozen=True)
class RankedPlace:
    """A place as everyone sees it: its rank, who proposed it and who voted what."""

    place: Place
    rank: int
    proposer: str
    yes: tuple[str, ...]
    maybe: tuple[str, ...]
    no: tuple[str, ...]

    @property
    def voter_groups(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(answer, its name in the active language, who gave it), for the answers given."""
        names = {YES: self.yes, MAYBE: self.maybe, NO: self.no}
        return [(answer, label, names[answer]) for answer, label in vote_choices() if names[answer]]

    @property
    def vote_url(self) -> str:
        return reverse("voting:vote", args=[self.place.code, self.place.place_id])

    @property
    def edit_url(self) -> str:
        return reverse("voting:edit_place", args=[self.place.code, self.place.place_id])

    @property
    def delete_url(self) -> str:
        return reverse("voting:delete_place", args=[self.place.code, self.place.place_id])


@dataclass(frozen=True)
class PlaceRow:
    """A place as one viewer sees it: the shared part, their vote and what they may do."""

    ranked: RankedPlace
    summary_html: SafeString
    my_vote: str | None
    can_edit: bool = False
    can_withdraw: bool = False
    can_remove: bool = False
    locked: bool = False  # places are closed: no vote buttons

    @property
    def place(self) -> Place:
        return self.ranked.place


def _names(snapshot: LobbySnapshot, ids) -> tuple[str, ...]:
    people = snapshot.participants
    return tuple(people[pid].shown_name for pid in ids if pid in people)


def ranked_places(snapshot: LobbySnapshot, language: str) -> tuple[RankedPlace, ...]:
    """The places, best first, with names: the same for every viewer of this snapshot."""
    return kept("ranked", snapshot, (language,), lambda: _rank(snapshot))


def _rank(snapshot: LobbySnapshot) -> tuple[RankedPlace, ...]:
    by_id = {place.place_id: place for place in snapshot.places}
    ranked = []
    for rank, score in enumerate(services.ranked_places(snapshot), start=1):
        place = by_id[score.place_id]
        proposer = snapshot.participant(place.proposer_id)
        ranked.append(
            RankedPlace(
                place=place,
                rank=rank,
                proposer=proposer.shown_name if proposer else _("someone who left"),
                yes=_names(snapshot, score.yes),
                maybe=_names(snapshot, score.maybe),
                no=_names(snapshot, score.no),
            )
        )
    return tuple(ranked)


def place_rows(snapshot: LobbySnapshot, seat: str | None) -> list[PlaceRow]:
    me = snapshot.participant(seat)
    mine = services.votes_of(me) if me is not None else {}
    is_organizer = snapshot.is_organizer(seat)
    open_ = services.lock_reason(snapshot.lobby) is None
    language = get_language()
    summaries = place_summaries(snapshot, language)
    rows = []
    for shared in ranked_places(snapshot, language):
        own = shared.place.proposer_id == seat
        vote = mine.get(shared.place.place_id)
        rows.append(
            PlaceRow(
                ranked=shared,
                summary_html=summaries[shared.place.place_id],
                my_vote=vote if vote in VOTE_VALUES else None,
                can_edit=own and open_,
                can_withdraw=own and open_ and not is_organizer,
                can_remove=is_organizer,
                locked=not open_,
            )
        )
    return rows


def place_summaries(snapshot: LobbySnapshot, language: str) -> dict[str, SafeString]:
    """Each place card's shared part (name, tallies, voters), rendered once per rev and
    language for everyone who watches the lobby; a viewer's votes and rights are added
    around it per request (`place_cards_html`)."""
    return kept("place-summaries", snapshot, (language,), lambda: _render_summaries(snapshot))


def _render_summaries(snapshot: LobbySnapshot) -> dict[str, SafeString]:
    return {
        ranked.place.place_id: mark_safe(
            render_to_string(
                "voting/_places.html#place-summary",
                {"row": {"ranked": ranked, "place": ranked.place}},
            )
        )
        for ranked in ranked_places(snapshot, get_language())
    }


def place_cards_html(snapshot: LobbySnapshot, seat: str | None) -> SafeString:
    """The place cards as one viewer sees them: the shared summaries with their own votes
    and rights, which differ per viewer and so are not kept (a viewer sees each rev once)."""
    context = {"place_rows": place_rows(snapshot, seat), "vote_choices": vote_choices()}
    return mark_safe(render_to_string("voting/_places.html#place-cards", context))


@lru_cache(maxsize=8)
def blank_place_fields(language: str) -> SafeString:
    """The empty propose form's fields, the same for every viewer in a language."""
    context = {"place_form": PlaceForm()}
    return mark_safe(render_to_string("voting/_places.html#place-fields", context))


@dataclass(frozen=True)
class WindowView:
    start_slot: int
    label: str
    yes: tuple[str, ...]
    maybe: tuple[str, ...]
    missing: tuple[str, ...]
    unanswered: tuple[str, ...]

    @property
    def answer_groups(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(answer, its label in the active language, who), for the answers someone gave."""
        groups = [
            ("yes", _("Can come:"), self.yes),
            ("maybe", _("If need be:"), self.maybe),
            ("missing", _("Would miss it:"), self.missing),
        ]
        return [group for group in groups if group[2]]


def window_view(snapshot, rec: decisions.Recommendation, window, viewer_tz: str) -> WindowView:
    answered = set(rec.answers)
    return WindowView(
        start_slot=window.start_slot,
        label=window_label(window, viewer_tz, rec.spec.whole_day),
        yes=_names(snapshot, window.yes),
        maybe=_names(snapshot, window.maybe),
        missing=_names(snapshot, window.missing),
        unanswered=_names(snapshot, [pid for pid in snapshot.answering() if pid not in answered]),
    )


def settled_for_visitors(request: HttpRequest, snapshot: LobbySnapshot) -> dict:
    """What a settled lobby settled on, for a visitor who may still join (its join page)."""
    return settled_summary(snapshot, viewer_zone(request, snapshot.lobby))


def settled_summary(snapshot: LobbySnapshot, viewer_tz: str) -> dict:
    """When and where the lobby settled, and how it repeats: what a visitor who may still
    join sees (voting/_decision.html#settled-lines), nothing about who is in it."""
    settled = decisions.settled_view(snapshot)
    if settled is None:
        return {}
    return {
        "settled": settled,
        "settled_zone": viewer_tz,
        "settled_repeat": repeat_label(settled.repeat),
    }


def _settled_context(request: HttpRequest, snapshot: LobbySnapshot, viewer_tz: str) -> dict:
    summary = settled_summary(snapshot, viewer_tz)
    if not summary:
        return {}
    event = decisions.settled_event(snapshot, absolute_lobby_url(request, snapshot.code))
    window = decisions.settled_window(snapshot)
    return {
        **summary,
        "settled_attendance": _attendance(snapshot, window),
        "google_calendar_url": ics.google_calendar_url(event),
        "outlook_calendar_url": ics.outlook_calendar_url(event, ics.OUTLOOK_COM),
        "office365_calendar_url": ics.outlook_calendar_url(event, ics.OFFICE_365),
        "ics_url": reverse("voting:ics", args=[snapshot.code]),
    }


def _attendance(snapshot: LobbySnapshot, window) -> list[dict]:
    """Who can come to the settled time, if need be, or not: counts, with the names of
    each group for the page to preview (the whole lists are on voting:attendance)."""
    if window is None:
        return []
    groups = [
        ("yes", window.yes, ngettext("%(count)d can come", "%(count)d can come", len(window.yes))),
        (
            "maybe",
            window.maybe,
            ngettext("%(count)d if need be", "%(count)d if need be", len(window.maybe)),
        ),
        (
            "missing",
            window.missing,
            ngettext("%(count)d can't make it", "%(count)d can't make it", len(window.missing)),
        ),
    ]
    return [
        {"answer": answer, "label": label % {"count": len(ids)}, "names": _names(snapshot, ids)}
        for answer, ids, label in groups
        if ids
    ]


def _recommendation_context(snapshot: LobbySnapshot, viewer_tz: str) -> dict:
    rec = decisions.recommendation(snapshot)
    rows = {row.place.place_id: row for row in place_rows(snapshot, None)}
    window = window_view(snapshot, rec, rec.window, viewer_tz) if rec.window else None
    return {
        "recommended_window": window,
        "recommended_place": rows.get(rec.place.place_id) if rec.place else None,
    }


def _notify_context(request: HttpRequest, me) -> dict:
    if me is not None and me.user_id is None and not request.user.is_authenticated:
        return {"notify_available": False, **guest_email_context(me)}
    if me is None or not request.user.is_authenticated:
        return {"notify_available": False}
    has_email = has_verified_email(request.user.pk)
    return {
        "notify_available": True,
        "notify_has_email": has_email,
        "notify_settled": bool(me.notify_settled),
    }


def guest_email_context(me, form: GuestEmailForm | None = None, **extra) -> dict:
    """The guest's own address form: what they saved, and whether it is confirmed."""
    saved = me.guest_email
    return {
        "guest_email_available": True,
        "guest_email": saved,
        "guest_email_verified": me.guest_email_verified_at is not None,
        "guest_email_form": form or GuestEmailForm(initial={"email": saved or ""}),
        **extra,
    }


def places_context(request: HttpRequest, snapshot: LobbySnapshot, seat: str) -> dict:
    """What the lobby page needs for places, votes and the decision."""
    lobby = snapshot.lobby
    viewer_tz = viewer_zone(request, lobby)
    context = {
        "place_rows": place_rows(snapshot, seat),
        "place_cards": place_cards_html(snapshot, seat),
        "places_locked": services.lock_reason(lobby),
        "place_form": PlaceForm(),
        "blank_place_fields": blank_place_fields(get_language()),
        "places_full": len(snapshot.places) >= services.MAX_PLACES,
        "max_places": services.MAX_PLACES,
        "vote_choices": vote_choices(),
        "viewer_zone_name": viewer_tz,
        "deadline_passed": services.deadline_passed(lobby),
        "weekly": weekly.is_weekly(lobby),
        **_settled_context(request, snapshot, viewer_tz),
        **_notify_context(request, snapshot.participant(seat)),
    }
    show_recommendation = lobby.status != services.SETTLED and (
        snapshot.is_organizer(seat) or context["deadline_passed"]
    )
    if "settled" in context and snapshot.is_organizer(seat) and context["deadline_passed"]:
        context["reopen_form"] = ReopenForm(lobby=lobby)
    if show_recommendation:
        context.update(_recommendation_context(snapshot, viewer_tz))
    context["show_recommendation"] = show_recommendation
    return context
