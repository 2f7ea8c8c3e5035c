"""Comments in a lobby: write one, delete one, and the page of older ones.

Each form posts to a real URL and redirects; with htmx the comments section comes back in
place (the rest of the page follows with the live poll).
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letshangout.ratelimit import rate_limit
from lobbies.comments import services as comments
from lobbies.comments.presenters import (
    CommentForm,
    comment_row,
    comments_context,
    older_context,
    older_page_url,
)
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed
from lobbies.page.lobby import delete_confirmation, lobby_context
from lobbies.people.access import load_for_participant, lobby_url, participant_key
from lobbies.snapshot import LobbySnapshot
from lobbies.store import load_lobby

SECTION = "lobbies/_comments.html#comments"


def _section(request: HttpRequest, snapshot: LobbySnapshot, seat: str, **extra) -> HttpResponse:
    context = {"lobby": snapshot.lobby, **comments_context(request, snapshot, seat), **extra}
    return render(request, SECTION, context)


def _page_before(snapshot: LobbySnapshot, data: QueryDict) -> str | None:
    """Which page of older comments the delete came from (the comment it ends before), kept
    only when it names a comment of this lobby: anything else means the first page."""
    before = data.get("before", "")[:40]
    return before if snapshot.comment(before) is not None else None


def _back_url(snapshot: LobbySnapshot, data: QueryDict) -> str:
    """The lobby's comments, or the very page of older comments the delete came from."""
    if data.get("back") == "older":
        return older_page_url(snapshot.code, _page_before(snapshot, data))
    return lobby_url(snapshot.code) + "#comments"


def _back_fields(snapshot: LobbySnapshot, data: QueryDict) -> list[tuple[str, str]]:
    """What the confirmation's form carries on to say where to come back to."""
    if data.get("back") != "older":
        return []
    before = _page_before(snapshot, data)
    return [("back", "older")] + ([("before", before)] if before else [])


def _form_back(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str, form: CommentForm, **extra
) -> HttpResponse:
    """The comment form sent back with its text: the section for htmx, else the page."""
    if request.htmx:
        # htmx swaps only a 2xx answer (and a 429): the form comes back with the text.
        context = {"lobby": snapshot.lobby, **comments_context(request, snapshot, seat, form)}
        return render(request, SECTION, {**context, **extra})
    context = {**lobby_context(request, snapshot, seat), "comment_form": form, **extra}
    return render(request, "lobbies/lobby.html", context, status=HTTPStatus.BAD_REQUEST)


def _too_often(request: HttpRequest, message: str, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = CommentForm(request.POST)
    form.is_valid()  # shows the text as sent; its own errors, if any, show too
    return _form_back(request, snapshot, seat, form, comment_error=message)


@require_POST
@rate_limit(
    "comment_post", refused=_too_often, per=participant_key, backstop="comment_post_address"
)
def post(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comments.post_comment(snapshot, seat, form.cleaned_data["text"])
        except LobbyNotFound as error:
            raise Http404(error.message) from error
        except LobbyError as error:
            form.add_error("text", error.message)
        else:
            if request.htmx:
                fresh = load_lobby(snapshot.code)
                return _section(request, fresh, seat, comment_status=_("Comment posted."))
            messages.success(request, _("Comment posted."))
            return redirect(lobby_url(snapshot.code) + "#comments")
    return _form_back(request, snapshot, seat, form)


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, code: str) -> HttpResponse:
    """GET: asks first, showing the comment (the Delete button without JavaScript comes
    here); POST: deletes it."""
    snapshot, seat = load_for_participant(request, code)
    if request.method == "GET":
        return _confirm_delete(request, snapshot, seat)
    comment_id = request.POST.get("comment", "")[:40]
    try:
        comments.delete_comment(snapshot, seat, comment_id)
    except LobbyNotFound as error:
        raise Http404(error.message) from error
    except LobbyError as error:
        if request.htmx:
            return _section(request, snapshot, seat, comment_status=error.message)
        messages.error(request, error.message)
        return redirect(_back_url(snapshot, request.POST))
    if request.htmx:
        fresh = load_lobby(snapshot.code)
        return _section(request, fresh, seat, comment_status=_("Comment deleted."))
    messages.success(request, _("Comment deleted."))
    return redirect(_back_url(snapshot, request.POST))


def _confirm_delete(request: HttpRequest, snapshot: LobbySnapshot, seat: str) -> HttpResponse:
    """Only who may delete the comment is asked; anyone else gets the outsiders' 404."""
    try:
        comment = comments.deletable_comment(snapshot, seat, request.GET.get("comment", "")[:40])
    except NotAllowed as error:
        raise Http404(error.message) from error
    except LobbyError as error:
        messages.error(request, error.message)
        return redirect(_back_url(snapshot, request.GET))
    row = comment_row(request, snapshot, seat, comment)
    context = {
        "lobby": snapshot.lobby,
        "question": _("Delete this comment?"),
        "comment": row,
        "item_template": "lobbies/_comment_shown.html",
        "action": reverse("lobbies:delete_comment", args=[snapshot.code]),
        "fields": [("comment", comment.comment_id), *_back_fields(snapshot, request.GET)],
        "button_label": _("Delete"),
        "button_item": _("comment by %(name)s") % {"name": row["author"]},
        "cancel_url": _back_url(snapshot, request.GET),
    }
    return delete_confirmation(request, context)


@require_GET
def older(request: HttpRequest, code: str) -> HttpResponse:
    """The comments the lobby page leaves out, SHOWN at a time, with a link to older ones."""
    snapshot, seat = load_for_participant(request, code)
    before = request.GET.get("before", "")[:40] or None
    return render(request, "lobbies/comments.html", older_context(request, snapshot, seat, before))
