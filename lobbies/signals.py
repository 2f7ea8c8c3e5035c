"""What lobbies tell other apps, as Django signals: an app that reacts (an email, say) listens
here, so lobbies never has to know it."""

from __future__ import annotations

from django.dispatch import Signal

# Someone answered in a lobby: saved their times, or voted. Sent with `lobby`, the Lobby
# item as the change left it (its rev moved).
answered = Signal()
