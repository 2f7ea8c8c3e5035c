"""Who voted what for a place, and who can come to the settled time: the whole lists, a
page at a time and searchable (lobbies/people/lists.py), for participants only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lobbies.people.access import load_for_participant
from lobbies.people.lists import PeopleList, render_people
from voting import decisions
from voting.presenters import ranked_places

VOTES = ("yes", "maybe", "no")
ATTENDANCE = ("yes", "maybe", "missing")


@require_GET
def voters(request: HttpRequest, code: str, place_id: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    answer = request.GET.get("answer", "")
    ranked = next(
        (row for row in ranked_places(snapshot, get_language()) if row.place.place_id == place_id),
        None,
    )
    if ranked is None or answer not in VOTES:
        raise Http404(_("There is no such place in this lobby."))
    titles = {
        "yes": _("Voted yes for %(place)s"),
        "maybe": _("Voted if need be for %(place)s"),
        "no": _("Voted no for %(place)s"),
    }
    people = PeopleList(
        f"place-{place_id}-{answer}",
        titles[answer] % {"place": ranked.place.name},
        getattr(ranked, answer),
        {"answer": answer},
    )
    url = reverse("voting:voters", args=[snapshot.code, place_id])
    return render_people(request, snapshot, seat, people, url)


@require_GET
def attendance(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    answer = request.GET.get("answer", "")
    window = decisions.settled_window(snapshot)
    if window is None or answer not in ATTENDANCE:
        raise Http404(_("This lobby has not settled on a time."))
    titles = {
        "yes": _("Can come at the settled time"),
        "maybe": _("Can come at the settled time if need be"),
        "missing": _("Can't make the settled time"),
    }
    people = snapshot.participants
    names = tuple(people[pid].shown_name for pid in getattr(window, answer) if pid in people)
    chosen = PeopleList(f"settled-{answer}", titles[answer], names, {"answer": answer})
    url = reverse("voting:attendance", args=[snapshot.code])
    return render_people(request, snapshot, seat, chosen, url)
