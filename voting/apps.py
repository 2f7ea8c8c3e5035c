from __future__ import annotations

from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = "Places and votes"

    def ready(self) -> None:
        # A lobby Query returns places too; their class must be registered before it runs.
        # The organizer's "everyone has answered" email listens to lobbies' `answered`.
        pass
