"""Staff pages for lobbies: list, detail, and confirmed actions (lock, unlock, settle, reopen,
delete, export). Reached only through LetsHangOutAdminSite.admin_view: staff, CSRF, no cache.

Lobbies are not ORM models, so the admin's LogEntry gets no content type; every action also
writes a JSON log line with a hashed reference instead of the code (no codes in logs).
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from hangout import operations, transfer
from lobbies.codes import display_code, normalize_code
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.page.labels import moment_label, window_label
from lobbies.snapshot import LobbySnapshot
from voting import decisions, settling
from voting import services as voting
from voting.forms import VOTE_CHOICES, SettleForm

log = logging.getLogger("letshangout.admin")

PAGE_SIZE = 50
STATE_CHOICES = [
    ("open", pgettext_lazy("lobby state", "Open")),
    ("locked", gettext_lazy("Joining locked")),
    ("settled", pgettext_lazy("lobby state", "Settled")),
    ("expired", pgettext_lazy("lobby state", "Expired")),
]
VOTE_LABELS = dict(VOTE_CHOICES)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    question: str
    button: str
    flag: int
    danger: bool = False


def _actions() -> dict[str, Action]:
    delete_question = _(
        "The lobby and every item in it (participants, answers, places, votes) will be "
        "deleted. This cannot be undone; export it first to keep a copy."
    )
    export_question = _(
        "A JSON file with every item of the lobby will be downloaded. It holds participants' "
        "names; keep it safe. `manage.py import_lobby` restores it."
    )
    settle_question = _(
        "The lobby will be settled on the time and place chosen below, on the organizer's "
        "behalf; participants who asked for it get an email."
    )
    reopen_question = _("The decision will be withdrawn and the lobby opens for answers again.")
    actions = [
        Action(
            "lock",
            _("Lock joining"),
            _("Nobody new will be able to join, and answers freeze."),
            _("Yes, lock joining"),
            CHANGE,
        ),
        Action(
            "unlock",
            _("Unlock joining"),
            _("People with the code will be able to join again."),
            _("Yes, unlock joining"),
            CHANGE,
        ),
        Action("settle", _("Settle"), settle_question, _("Yes, settle"), CHANGE),
        Action("reopen", _("Reopen"), reopen_question, _("Yes, reopen"), CHANGE),
        Action("delete", _("Delete"), delete_question, _("Yes, delete everything"), DELETION, True),
        Action("export", _("Export as JSON"), export_question, _("Download the export"), CHANGE),
    ]
    return {action.name: action for action in actions}


def _available(snapshot: LobbySnapshot) -> list[str]:
    lobby = snapshot.lobby
    names = ["unlock" if lobby.joining_locked else "lock"]
    names.append("reopen" if lobby.status == voting.SETTLED else "settle")
    return [*names, "export", "delete"]


# --- list ------------------------------------------------------------------------------------


def lobby_list(site, request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    state = request.GET.get("state", "")
    if state not in dict(STATE_CHOICES):
        state = ""
    rows = operations.list_lobbies(query, state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    context = {
        **site.each_context(request),
        "title": _("Lobbies"),
        "subtitle": None,
        "page": page,
        "rows": [
            {"lobby": row, "state_label": dict(STATE_CHOICES)[row.state]}
            for row in page.object_list
        ],
        "page_range": page.paginator.get_elided_page_range(page.number),
        "query": query,
        "state": state,
        "filters": _filter_links(query, state),
        "result_count": len(rows),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/lobbies/lobby_list.html", context)


def _filter_links(query: str, state: str) -> list[dict]:
    def link(value: str) -> str:
        return "?" + urlencode({key: val for key, val in (("q", query), ("state", value)) if val})

    return [
        {"label": _("All"), "url": link(""), "selected": not state},
        *(
            {"label": label, "url": link(value), "selected": value == state}
            for value, label in STATE_CHOICES
        ),
    ]


# --- detail ----------------------------------------------------------------------------------


def _load(code: str) -> LobbySnapshot:
    canonical = normalize_code(code)
    if canonical is None or canonical != code:
        raise Http404(_("There is no lobby with that code."))
    try:
        return operations.load_any(canonical)
    except LobbyNotFound as error:
        raise Http404(error.message) from error


def lobby_detail(site, request: HttpRequest, code: str) -> HttpResponse:
    snapshot = _load(code)
    context = {
        **site.each_context(request),
        **_lobby_context(snapshot),
        "title": _("Lobby %(code)s") % {"code": display_code(snapshot.code)},
        "subtitle": snapshot.lobby.title,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/lobbies/lobby_detail.html", context)


def _lobby_context(snapshot: LobbySnapshot) -> dict:
    lobby = snapshot.lobby
    zone = zoneinfo.ZoneInfo(lobby.timezone)
    places = snapshot.places
    names = {pid: p.shown_name for pid, p in snapshot.participants.items()}
    tallies = {place.place_id: {"yes": 0, "maybe": 0, "no": 0} for place in places}
    people = []
    for participant in snapshot.participants.values():
        votes = voting.votes_of(participant)
        for place_id, value in votes.items():
            if place_id in tallies and value in tallies[place_id]:
                tallies[place_id][value] += 1
        people.append(
            {
                "participant": participant,
                "is_organizer": snapshot.is_organizer(participant.participant_id),
                "user_url": _user_url(participant.user_id),
                "yes": _bit_count(participant.yes),
                "maybe": _bit_count(participant.maybe),
                "votes": [VOTE_LABELS.get(votes.get(place.place_id), "") for place in places],
            }
        )
    return {
        "snapshot": snapshot,
        "lobby": lobby,
        "display_code": display_code(snapshot.code),
        "state": operations.lobby_state(lobby),
        "state_label": dict(STATE_CHOICES)[operations.lobby_state(lobby)],
        "expires": datetime.fromtimestamp(lobby.expires_at, UTC) if lobby.expires_at else None,
        "dates": ", ".join(lobby.dates),
        "window": _window_text(lobby),
        "people": people,
        "places": [
            {
                "place": place,
                "proposer": names.get(place.proposer_id, _("(left the lobby)")),
                **tallies[place.place_id],
            }
            for place in places
        ],
        "decision": _decision(snapshot, zone),
        "actions": [_actions()[name] for name in _available(snapshot)],
    }


def _bit_count(data: bytes | None) -> int:
    return int.from_bytes(data).bit_count() if data else 0


def _minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _window_text(lobby) -> str:
    if int(lobby.slot_minutes) == 1440:
        return _("Whole days")
    return _("%(start)s to %(end)s, %(slot)s-minute slots, meetings of %(meeting)s minutes") % {
        "start": _minutes_text(int(lobby.day_start)),
        "end": _minutes_text(int(lobby.day_end)),
        "slot": int(lobby.slot_minutes),
        "meeting": int(lobby.meeting_minutes),
    }


def _user_url(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    meta = get_user_model()._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[user_id])
    except NoReverseMatch:
        return None


def _decision(snapshot: LobbySnapshot, zone) -> dict | None:
    lobby = snapshot.lobby
    if lobby.status != voting.SETTLED or lobby.decision is None:
        return None
    decision = lobby.decision
    place = snapshot.place(decision.place_id)
    when = None
    if decision.starts_at and decision.ends_at:
        when = _("%(start)s to %(end)s (%(zone)s)") % {
            "start": moment_label(decision.starts_at, zone),
            "end": moment_label(decision.ends_at, zone),
            "zone": lobby.timezone,
        }
    return {
        "when": when,
        "start_slot": decision.start_slot,
        "place": place,
        "settled_at": decision.settled_at,
        "automatic": decision.automatic,
    }


# --- actions ---------------------------------------------------------------------------------


def _settle_form(data, rec, snapshot: LobbySnapshot) -> SettleForm:
    """The organizer's own settle form: one of the best windows or any other, and a place."""
    names = {place.place_id: place.name for place in snapshot.places}
    zone = snapshot.lobby.timezone
    return SettleForm(
        data,
        initial={
            "window": str(rec.window.start_slot) if rec.window else "other",
            "place": rec.place.place_id if rec.place else "",
        },
        spec=rec.spec,
        width=rec.width,
        best=rec.windows,
        places=[(score.place_id, names[score.place_id]) for score in rec.places],
        viewer_tz=zone,
        window_texts={w.start_slot: window_label(w, zone, rec.spec.whole_day) for w in rec.windows},
    )


def lobby_action(site, request: HttpRequest, code: str, action: str) -> HttpResponse:
    snapshot = _load(code)
    if action not in _available(snapshot):
        raise Http404(_("That action does not apply to this lobby now."))
    spec = _actions()[action]
    form = None
    if action == "settle":
        recommendation = decisions.recommendation(snapshot)
        data = request.POST if request.method == "POST" else None
        form = _settle_form(data, recommendation, snapshot)
        if not recommendation.windows:
            messages.error(
                request, _("Nobody has marked a time that works, so there is nothing to settle on.")
            )
            return redirect("admin:lobbies_lobby_change", code=snapshot.code)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            response = _perform(request, snapshot, action, form)
        except LobbyError as error:
            if form is None:
                messages.error(request, error.message)
            else:
                form.add_error(None, error.message)
        else:
            _log_action(request, snapshot, spec)
            return response
    context = {
        **site.each_context(request),
        **_lobby_context(snapshot),
        "title": _("Are you sure?"),
        "subtitle": None,
        "action": spec,
        "form": form,
    }
    request.current_app = site.name
    status = HTTPStatus.BAD_REQUEST if form is not None and form.errors else HTTPStatus.OK
    return TemplateResponse(request, "admin/lobbies/lobby_confirm.html", context, status=status)


def _perform(request: HttpRequest, snapshot: LobbySnapshot, action: str, form) -> HttpResponse:
    code = snapshot.code
    detail = redirect("admin:lobbies_lobby_change", code=code)
    shown = display_code(code)
    if action in ("lock", "unlock"):
        locked = action == "lock"
        operations.set_joining_locked(code, locked)
        done = (
            _("Joining lobby %(code)s is locked.")
            if locked
            else _("Joining lobby %(code)s is open again.")
        )
        messages.success(request, done % {"code": shown})
        return detail
    if action == "settle":
        # On the organizer's behalf: the same rules and the same emails as their own settle.
        sent = settling.settle(
            snapshot,
            snapshot.lobby.owner_id,
            form.cleaned_data["start_slot"],
            form.cleaned_data["place"] or None,
        )
        messages.success(
            request,
            ngettext(
                "Lobby %(code)s is settled; %(count)d email was sent.",
                "Lobby %(code)s is settled; %(count)d emails were sent.",
                sent,
            )
            % {"code": shown, "count": sent},
        )
        return detail
    if action == "reopen":
        decisions.reopen(snapshot, snapshot.lobby.owner_id)
        messages.success(request, _("Lobby %(code)s is open again.") % {"code": shown})
        return detail
    if action == "delete":
        count = operations.delete_lobby(code)
        messages.success(
            request,
            ngettext(
                "Lobby %(code)s and its %(count)d item are deleted.",
                "Lobby %(code)s and its %(count)d items are deleted.",
                count,
            )
            % {"code": shown, "count": count},
        )
        return redirect("admin:lobbies_lobby_changelist")
    # export
    response = HttpResponse(transfer.export_json(code), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="lobby-{code.lower()}.json"'
    return response


def _log_action(request: HttpRequest, snapshot: LobbySnapshot, action: Action) -> None:
    code = snapshot.code
    LogEntry.objects.create(
        user_id=request.user.pk,
        content_type=None,
        object_id=code,
        object_repr=f"{display_code(code)} “{snapshot.lobby.title}”"[:200],
        action_flag=action.flag,
        change_message=_("Lobby: %(action)s") % {"action": action.label},
    )
    log.info(
        "admin lobby action",
        extra={
            "action": action.name,
            "lobby_ref": operations.audit_ref(code),
            "staff_user": str(request.user.pk),
        },
    )
