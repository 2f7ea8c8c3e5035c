"""Comments in a lobby: posting and deleting, each one transaction with the lobby's rev bump.

A comment is an item in the lobby's partition (`COMMENT#<time>#<id>`, lobbies/entities.py)
with the lobby's TTL. The Lobby item's `comment_count` moves in the same transaction as the
comment, on condition that it stays under the cap, so a burst of posts cannot pass it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pynamodb.exceptions import DeleteError, PutError

from letshangout.dynamo import write_item
from lobbies import codes
from lobbies.entities import Comment, Lobby
from lobbies.errors import LobbyError, LobbyNotFound, NotAllowed
from lobbies.services import require_participant
from lobbies.snapshot import LobbySnapshot
from lobbies.store import announce, get_lobby, refused, release, reserve

MAX_COMMENTS = 500
TEXT_MAX = 1000


def _full_message() -> str:
    return _(
        "This lobby already holds %(count)d comments, the most it can. Delete an old one to "
        "write a new one."
    ) % {"count": MAX_COMMENTS}


def clean_text(text: str) -> str:
    """The comment as it will be stored, or a LobbyError saying what is wrong with it."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise LobbyError(_("Write something first."))
    if len(text) > TEXT_MAX:
        raise LobbyError(
            ngettext(
                "A comment can have at most %(max)d character.",
                "A comment can have at most %(max)d characters.",
                TEXT_MAX,
            )
            % {"max": TEXT_MAX}
        )
    return text


def post_comment(snapshot: LobbySnapshot, author_id: str, text: str) -> Comment:
    """Add a comment by a participant: its room under the cap on the lobby's count, the
    comment, then the rev."""
    require_participant(snapshot, author_id)
    text = clean_text(text)
    if len(snapshot.comments) >= MAX_COMMENTS:
        raise LobbyError(_full_message())
    now = datetime.now(UTC)
    comment = Comment(
        *Comment.key_for(snapshot.code, now, codes.new_id()),
        author_id=author_id,
        text=text,
        created_at=now,
        expires_at=snapshot.lobby.expires_at,
    )
    room = Lobby.comment_count.does_not_exist() | (Lobby.comment_count < MAX_COMMENTS)
    if reserve(snapshot.code, room, comment_count=1) is None:
        if get_lobby(snapshot.code) is None:
            raise LobbyNotFound()
        raise LobbyError(_full_message())
    try:
        write_item(partial(comment.save, condition=Comment.pk.does_not_exist()))
    except PutError as error:
        release(snapshot.code, comment_count=1)
        refused(error)
        raise LobbyError(_("That did not work. Please try again.")) from error
    if announce(snapshot.code) is None:  # deleted a moment ago: leave nothing behind
        write_item(comment.delete)
        raise LobbyNotFound()
    return comment


def can_delete(snapshot: LobbySnapshot, actor_id: str | None, comment: Comment) -> bool:
    """Authors delete their own comments; the organizer deletes any."""
    return actor_id is not None and (
        comment.author_id == actor_id or snapshot.is_organizer(actor_id)
    )


def deletable_comment(snapshot: LobbySnapshot, actor_id: str | None, comment_id: str) -> Comment:
    """The comment this person may delete: LobbyError when it is gone, NotAllowed when it is
    not theirs to delete."""
    comment = snapshot.comment(comment_id)
    if comment is None:
        raise LobbyError(_("That comment is gone already."))
    if not can_delete(snapshot, actor_id, comment):
        raise NotAllowed(_("Only its author, or the organizer, can delete a comment."))
    return comment


def delete_comment(snapshot: LobbySnapshot, actor_id: str, comment_id: str) -> None:
    comment = deletable_comment(snapshot, actor_id, comment_id)
    try:
        write_item(partial(Comment(comment.pk, comment.sk).delete, condition=Comment.pk.exists()))
    except DeleteError as error:
        refused(error)
        raise LobbyError(_("That comment is gone already.")) from error
    if announce(snapshot.code, comment_count=-1) is None:
        raise LobbyNotFound()
