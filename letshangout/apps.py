from __future__ import annotations

from django.apps import AppConfig


class LetsHangOutConfig(AppConfig):
    name = "letshangout"
    verbose_name = "LetsHangOut"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from letshangout import languages  # noqa: F401  (connects the sign-in language)
