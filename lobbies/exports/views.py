"""Downloads of a lobby's data: a participant's own answers, or the whole lobby for its
organizer, as JSON or CSV (lobbies/exports/tables.py). Plain links: no JavaScript involved."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lobbies.exports import tables as export
from lobbies.people.access import load_for_organizer, load_for_participant

FORMATS = {
    "json": ("application/json; charset=utf-8", export.as_json),
    "csv": ("text/csv; charset=utf-8", export.as_csv),
}


def _download(data: dict, fmt: str, filename: str) -> HttpResponse:
    content_type, render = FORMATS[fmt]
    response = HttpResponse(render(data), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    # Personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Http404(_("Choose JSON or CSV."))


@require_GET
def my_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    _check_format(fmt)
    snapshot, seat = load_for_participant(request, code)
    data = export.my_data(snapshot, seat)
    return _download(data, fmt, f"letshangout-{snapshot.code.lower()}-my-answers")


@require_GET
def lobby_data(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    _check_format(fmt)
    snapshot, _seat = load_for_organizer(request, code)
    data = export.lobby_data(snapshot)
    return _download(data, fmt, f"letshangout-{snapshot.code.lower()}")
