"""My calendar beside the grid: upload or paste an .ics, see its busy times on my grid, and
save the marks it suggests only by pressing Save.

The file is read in memory by lobbies/availability/calendar_import.py and never stored. Without
JavaScript this is a page of its own whose Save buttons post whole bitmaps to the usual
availability view; with htmx the panel opens inside the lobby page and grid.js paints the
suggestion onto my grid, which then saves itself as after any change.
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from letshangout.ratelimit import rate_limit
from lobbies.availability import grid
from lobbies.availability.answers import answers_closed_reason, answers_of, grid_key, spec_for
from lobbies.availability.calendar_import import (
    MAX_BYTES,
    CalendarError,
    busy_slots,
    comparable_spec,
    proposal,
    read_upload,
)
from lobbies.availability.presenters import NO_MARKS, my_grid_html
from lobbies.page.labels import viewer_zone
from lobbies.people.access import load_for_participant, participant_key

TEMPLATE = "lobbies/calendar.html"


class CalendarForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Calendar file (.ics)"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Or paste the calendar's text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        # The panel opens inside the lobby page, beside the comment form's own "text".
        kwargs.setdefault("auto_id", "id_calendar_%s")
        super().__init__(*args, **kwargs)

    def calendar_text(self) -> str:
        """The calendar as text, within the size cap, or CalendarError."""
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                return read_upload(b"x" * (MAX_BYTES + 1))  # says "too big"
            return read_upload(upload.read(MAX_BYTES + 1))
        text = self.cleaned_data.get("text") or ""
        if not text.strip():
            raise CalendarError(_("Choose an .ics file, or paste its text."))
        return read_upload(text.encode())


def _hex(slots: frozenset[int], length: int) -> str:
    return grid.bitmap_to_text(grid.encode_bitmap(slots, length))


def _offers(busy: frozenset[int]) -> list[tuple[bool, str]]:
    """The fills worth offering, as (fill every free time, button label). With nothing busy,
    keeping my marks would change nothing, and filling in marks every time "yes": offered,
    saying plainly that it replaces what is there."""
    if not busy:
        return [(True, _("Mark me “yes” at every time (this replaces my marks)"))]
    return [
        (True, _("Fill in my grid: “yes” when I am free, “no” when I am busy")),
        (False, _("Keep my marks, and set “no” where I am busy")),
    ]


def _result(request: HttpRequest, snapshot, seat: str, text: str) -> dict:
    lobby = snapshot.lobby
    spec = spec_for(lobby)
    viewer_tz = viewer_zone(request, lobby)
    weekly = getattr(lobby, "schedule", "dates") == "weekdays"
    busy = busy_slots(text, comparable_spec(spec, weekly, date.today()), viewer_tz)
    marks = answers_of(snapshot).get(seat) or NO_MARKS
    length = spec.slot_count
    suggestions = []
    if not answers_closed_reason(lobby):
        for fill, label in _offers(busy.slots):
            yes, maybe = proposal(spec, busy.slots, marks, fill)
            suggestions.append(
                {"label": label, "yes": _hex(yes, length), "maybe": _hex(maybe, length)}
            )
    return {
        "busy": busy,
        "busy_hex": _hex(busy.slots, length),
        "suggestions": suggestions,
        "key": grid_key(spec),
        "viewer_tz": viewer_tz,
        "weekly": weekly,
        "whole_day": spec.whole_day,
        "grid_html": my_grid_html(spec, viewer_tz, get_language(), True, marks, busy.slots),
    }


def _too_often(request: HttpRequest, message: str, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    context = {"lobby": snapshot.lobby, "me": snapshot.participant(seat)}
    return _answer(request, {**context, "calendar_error": message}, HTTPStatus.OK)


def _answer(request: HttpRequest, context: dict, status: int) -> HttpResponse:
    # Never filled in again: the calendar is not kept, not even in the page.
    context["form"] = CalendarForm()
    if request.htmx:
        partial = "calendar-result" if request.method == "POST" else "calendar-panel"
        return render(request, f"{TEMPLATE}#{partial}", context, status=status)
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
@rate_limit(
    "calendar_import", refused=_too_often, per=participant_key, backstop="calendar_import_address"
)
def compare(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the form (the panel alone for htmx). POST: the busy times and suggestions."""
    snapshot, seat = load_for_participant(request, code)
    context = {"lobby": snapshot.lobby, "me": snapshot.participant(seat)}
    status = HTTPStatus.OK
    if request.method == "POST":
        form = CalendarForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                raise CalendarError(_("That file could not be read. Choose an .ics file."))
            context.update(_result(request, snapshot, seat, form.calendar_text()))
        except CalendarError as error:
            context["calendar_error"] = error.message
            # htmx swaps only a 2xx answer; the plain form says it with its status.
            status = HTTPStatus.OK if request.htmx else HTTPStatus.BAD_REQUEST
    return _answer(request, context, status)
