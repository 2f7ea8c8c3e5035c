"""People lists at any size: counts first, a few names in the page, the rest on demand.

Presentation beside the views of both apps. Every list is computed from the lobby snapshot
already in memory, so showing or searching one reads nothing more from DynamoDB. The lobby
page shows at most PREVIEW names of each list; the people routes serve the whole list a
page at a time, searchable by name: an htmx fragment into the page, or a plain page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from lobbies.availability import windows
from lobbies.availability.answers import answers_of, spec_for
from lobbies.availability.presenters import slot_details
from lobbies.forms import PeopleSearchForm
from lobbies.snapshot import LobbySnapshot

# Names of one list in the lobby page's first HTML: the rest is one click away.
PREVIEW = 12
PAGE_SIZE = 50
TEMPLATE = "lobbies/people.html"


@dataclass(frozen=True)
class PeopleList:
    """One list of people as the route serves it. `key` names its panel's ids (unique on
    the lobby page); `params` find the same list again (pagination and search links);
    `seats` is set for the list of everyone, which shows badges and the Remove buttons."""

    key: str
    title: str
    names: Sequence[str]
    params: dict = field(default_factory=dict)
    seats: Sequence | None = None

    @property
    def entries(self) -> Sequence:
        return self.seats if self.seats is not None else self.names


def first_people(snapshot: LobbySnapshot) -> list:
    """The seats the lobby page lists at first: the organizer (first to join) and a few."""
    return list(snapshot.participants.values())[:PREVIEW]


def everyone(snapshot: LobbySnapshot) -> PeopleList:
    seats = tuple(snapshot.participants.values())
    names = tuple(person.shown_name for person in seats)
    return PeopleList("everyone", _("Everyone here"), names, {"list": "everyone"}, seats)


def unanswered(snapshot: LobbySnapshot) -> PeopleList:
    answers = answers_of(snapshot)
    names = tuple(
        person.display_name for pid, person in snapshot.answering().items() if pid not in answers
    )
    return PeopleList("unanswered", _("Not answered yet"), names, {"list": "unanswered"})


SLOT_ANSWERS = ("yes", "maybe", "no")
WINDOW_ANSWERS = ("yes", "maybe", "missing")


def answer_title(answer: str, when: str) -> str:
    titles = {
        "yes": _("Can come: %(when)s"),
        "maybe": _("If need be: %(when)s"),
        "no": _("Cannot: %(when)s"),
        "missing": _("Would miss it: %(when)s"),
    }
    return titles[answer] % {"when": when}


def at_slot(request: HttpRequest, snapshot: LobbySnapshot) -> PeopleList:
    """Who answered `answer` for the cell ?day=&time= of the viewer's grid (and filter)."""
    answer = request.GET.get("answer", "")
    details = slot_details(request, snapshot)
    if answer not in SLOT_ANSWERS or details is None or details.get("missing"):
        raise Http404(_("That time is not part of this lobby's grid."))
    params = {"list": "slot", "day": details["day"], "time": details["time"], "answer": answer}
    params.update(_filter_params(request))
    return PeopleList(
        f"slot-{answer}", answer_title(answer, details["when"]), details[answer], params
    )


def _filter_params(request: HttpRequest) -> dict:
    return {key: request.GET.getlist(key) for key in ("known", "only") if key in request.GET}


def in_window(request: HttpRequest, snapshot: LobbySnapshot, label) -> PeopleList:
    """Who can come, could if need be, or would miss the meeting starting at ?start= (a
    best time, or the recommended one): `label(window)` says when, in the viewer's zone."""
    answer, start = request.GET.get("answer", ""), request.GET.get("start", "")
    spec = spec_for(snapshot.lobby)
    if answer not in WINDOW_ANSWERS or not start.isdigit() or int(start) >= spec.slot_count:
        raise Http404(_("That time is not part of this lobby's grid."))
    try:
        width = spec.meeting_slots(int(snapshot.lobby.meeting_minutes))
        window = windows.window_at(spec, int(start), width, answers_of(snapshot))
    except ValueError as error:
        raise Http404(_("That time is not part of this lobby's grid.")) from error
    people = snapshot.participants
    names = tuple(people[pid].shown_name for pid in getattr(window, answer) if pid in people)
    params = {"list": "window", "start": start, "answer": answer}
    return PeopleList(f"window-{answer}", answer_title(answer, label(window)), names, params)


def matching(entries: Sequence, query: str) -> list:
    """The entries whose name holds the query, in any case."""
    needle = query.casefold()
    if not needle:
        return list(entries)
    return [entry for entry in entries if needle in _name(entry).casefold()]


def _name(entry) -> str:
    return entry if isinstance(entry, str) else entry.shown_name


def page_number(text: str | None) -> int:
    """The page asked for; anything but a positive number is the first page."""
    if not text or not text.isdigit() or len(text) > 6:
        return 1
    return max(int(text), 1)


def people_context(request: HttpRequest, people: PeopleList, url: str) -> dict:
    form = PeopleSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    found = matching(people.entries, query)
    paginator = Paginator(found, PAGE_SIZE)
    page = paginator.page(min(page_number(request.GET.get("page")), paginator.num_pages))
    return {
        "people": people,
        "panel": f"people-{people.key}",
        "form": form,
        "query": query,
        "page": page,
        "found": len(found),
        "total": len(people.entries),
        "url": url,
        "list_params": _hidden_params(people.params),
        "previous_url": _page_url(url, people, query, page, -1),
        "next_url": _page_url(url, people, query, page, +1),
    }


def _hidden_params(params: dict) -> list[tuple[str, str]]:
    pairs = []
    for key, value in params.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((key, str(one)) for one in values)
    return pairs


def _page_url(url: str, people: PeopleList, query: str, page: Page, step: int) -> str | None:
    number = page.number + step
    if not 1 <= number <= page.paginator.num_pages:
        return None
    pairs = _hidden_params(people.params) + [("q", query), ("page", str(number))]
    return f"{url}?{urlencode([(k, v) for k, v in pairs if v])}"


def render_people(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str, people: PeopleList, url: str
) -> HttpResponse:
    """The list as a plain page, or for htmx its panel (the disclosure opening) or its
    results alone (a search or another page, with the count as an out-of-band swap)."""
    context = {
        **people_context(request, people, url),
        "lobby": snapshot.lobby,
        "me": snapshot.participant(seat),
        "is_organizer": snapshot.is_organizer(seat),
    }
    template = TEMPLATE
    if request.htmx:
        results = request.htmx.target == f"{context['panel']}-results"
        template = f"{TEMPLATE}#{'people-results' if results else 'people-panel'}"
        context["oob"] = results
    return render(request, template, context)
