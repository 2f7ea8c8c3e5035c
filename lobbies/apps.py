from __future__ import annotations

from django.apps import AppConfig


class LobbiesConfig(AppConfig):
    name = "lobbies"
    verbose_name = "Lobbies"

    def ready(self) -> None:
        from lobbies import sign_in  # noqa: F401  (connects the sign-in claim)
