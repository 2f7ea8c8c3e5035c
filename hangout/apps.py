from __future__ import annotations

from django.apps import AppConfig


class HangoutConfig(AppConfig):
    name = "hangout"
    verbose_name = "The site: lobbies with their places"
