"""What the lobby page shows of its comments, and the form to write one: presentation
beside the views (lobbies/comments/views.py, lobbies/page/lobby.py)."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lobbies.comments.services import TEXT_MAX, can_delete
from lobbies.forms import LongTextField
from lobbies.page.labels import viewer_zone
from lobbies.snapshot import LobbySnapshot

SHOWN = 50


class CommentForm(forms.Form):
    text = LongTextField(
        label=gettext_lazy("Your comment"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _row(snapshot: LobbySnapshot, seat: str | None, comment, zone: ZoneInfo) -> dict:
    author = snapshot.participant(comment.author_id)
    return {
        "id": comment.comment_id,
        "author": author.shown_name if author else _("Former participant"),
        "mine": comment.author_id == seat,
        # Naive in the viewer's zone: templates would otherwise show it in UTC.
        "when": comment.created_at.astimezone(zone).replace(tzinfo=None),
        "text": comment.text,
        "can_delete": can_delete(snapshot, seat, comment),
    }


def _rows(request: HttpRequest, snapshot: LobbySnapshot, seat: str | None, comments) -> list:
    zone = ZoneInfo(viewer_zone(request, snapshot.lobby))
    return [_row(snapshot, seat, comment, zone) for comment in comments]


def comment_row(request: HttpRequest, snapshot: LobbySnapshot, seat: str | None, comment) -> dict:
    """One comment as the list shows it (author, time in the viewer's zone, text)."""
    return _rows(request, snapshot, seat, [comment])[0]


def older_page_url(code: str, before: str | None) -> str:
    """The page of older comments that ends before the comment `before` (none: the first)."""
    url = reverse("lobbies:comments", args=[code])
    return f"{url}?{urlencode({'before': before})}" if before else url


def comments_context(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str | None, form=None
) -> dict:
    """The last SHOWN comments, newest last, and how many older ones the "show older" page
    lists; `form`: a refused comment shown back as it was sent."""
    comments = snapshot.comments
    shown = comments[-SHOWN:]
    return {
        "comment_rows": _rows(request, snapshot, seat, shown),
        "older_comments": len(comments) - len(shown),
        "comment_form": form or CommentForm(),
    }


def older_context(
    request: HttpRequest, snapshot: LobbySnapshot, seat: str | None, before: str | None
) -> dict:
    """The SHOWN comments before the one with id `before` (by default, those the lobby page
    leaves out), and the id to ask for the ones before them."""
    comments = snapshot.comments
    ids = [comment.comment_id for comment in comments]
    shown_before = before if before in ids else None
    end = ids.index(shown_before) if shown_before else max(len(comments) - SHOWN, 0)
    start = max(end - SHOWN, 0)
    return {
        "lobby": snapshot.lobby,
        "page_before": shown_before,  # this page's place, for its delete buttons to come back
        "comment_rows": _rows(request, snapshot, seat, comments[start:end]),
        "older_before": ids[start] if start > 0 else None,
        "older_comments": start,
    }
