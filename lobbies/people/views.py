"""The people route: a whole list of the lobby's people, a page at a time, searchable.

Participants only (outsiders get the lobby's 404). The lists: everyone (with the
organizer's Remove buttons), not answered yet, who answered what at one cell of the grid,
and who can come to a meeting starting at one slot (a best time, the recommended one).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lobbies.availability.answers import spec_for
from lobbies.page.labels import viewer_zone, window_label
from lobbies.people import lists
from lobbies.people.access import load_for_participant


@require_GET
def people(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    kind = request.GET.get("list", "everyone")
    if kind == "everyone":
        chosen = lists.everyone(snapshot)
    elif kind == "unanswered":
        chosen = lists.unanswered(snapshot)
    elif kind == "slot":
        chosen = lists.at_slot(request, snapshot)
    elif kind == "window":
        zone, whole_day = viewer_zone(request, snapshot.lobby), spec_for(snapshot.lobby).whole_day
        chosen = lists.in_window(
            request, snapshot, lambda window: window_label(window, zone, whole_day)
        )
    else:
        raise Http404(_("There is no such list of people."))
    url = reverse("lobbies:people", args=[snapshot.code])
    return lists.render_people(request, snapshot, seat, chosen, url)
