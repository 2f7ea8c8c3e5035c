"""Comments in a lobby: write one, delete one, and the page of older ones.

Each form posts to a real URL and redirects; with htmx the comments section comes back in
place (the rest of the page follows with the live poll).
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from letshangout.ratelimit import rate_limit
from lobbies import comments, services
from lobbies.access import load_for_participant, lobby_url
from lobbies.comment_page import CommentForm, comments_context, older_context
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.lobby_page import lobby_context
from lobbies.snapshot import LobbySnapshot

SECTION = "lobbies/_comments.html#comments"


def _section(request: HttpRequest, snapshot: LobbySnapshot, seat: str, **extra) -> HttpResponse:
    context = {"lobby": snapshot.lobby, **comments_context(request, snapshot, seat), **extra}
    return render(request, SECTION, context)


def _back(code: str, request: HttpRequest | None = None) -> HttpResponse:
    """To the lobby's comments, or to the older comments' page the form was sent from."""
    if request is not None and request.POST.get("back") == "older":
        return redirect("lobbies:comments", code=code)
    return redirect(lobby_url(code) + "#comments")


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
@rate_limit("comment_post", refused=_too_often)
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
                fresh = services.load_lobby(snapshot.code)
                return _section(request, fresh, seat, comment_status=_("Comment posted."))
            messages.success(request, _("Comment posted."))
            return _back(snapshot.code)
    return _form_back(request, snapshot, seat, form)


@require_POST
def delete(request: HttpRequest, code: str) -> HttpResponse:
    snapshot, seat = load_for_participant(request, code)
    comment_id = request.POST.get("comment", "")[:40]
    try:
        comments.delete_comment(snapshot, seat, comment_id)
    except LobbyNotFound as error:
        raise Http404(error.message) from error
    except LobbyError as error:
        if request.htmx:
            return _section(request, snapshot, seat, comment_status=error.message)
        messages.error(request, error.message)
        return _back(snapshot.code, request)
    if request.htmx:
        fresh = services.load_lobby(snapshot.code)
        return _section(request, fresh, seat, comment_status=_("Comment deleted."))
    messages.success(request, _("Comment deleted."))
    return _back(snapshot.code, request)


@require_GET
def older(request: HttpRequest, code: str) -> HttpResponse:
    """The comments the lobby page leaves out, SHOWN at a time, with a link to older ones."""
    snapshot, seat = load_for_participant(request, code)
    before = request.GET.get("before", "")[:40] or None
    return render(request, "lobbies/comments.html", older_context(request, snapshot, seat, before))
