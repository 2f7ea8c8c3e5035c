"""What a product rule can say no with. Each error's `message` is shown to the user as it is."""

from __future__ import annotations

from django.utils.translation import gettext as _


class LobbyError(Exception):
    """A rule of the product said no; `message` is meant for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LobbyNotFound(LobbyError):
    def __init__(self):
        super().__init__(_("There is no lobby with that code. Check the code and try again."))


class NotAllowed(LobbyError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("Only the organizer can do that."))


class NotInLobby(LobbyError):
    def __init__(self):
        super().__init__(_("That person is no longer in this lobby."))


class StaleEdit(LobbyError):
    def __init__(self):
        super().__init__(
            _(
                "Someone changed this lobby while you were editing. Here are the current "
                "settings; make your change again."
            )
        )


class AnswersClosed(LobbyError):
    """The lobby is settled, locked or past its deadline: availability is frozen."""


class GridChanged(LobbyError):
    def __init__(self):
        super().__init__(
            _(
                "The organizer changed the days or times since you opened this page. Reload "
                "to see the new grid; these marks were not saved."
            )
        )


class InvalidMarks(LobbyError):
    """A save that cannot be read or does not fit the grid."""
