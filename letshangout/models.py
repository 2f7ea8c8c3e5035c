"""Django's own tables that belong to the site rather than to an app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguagePreference(models.Model):
    """The language a signed-in user chose (or signed in with): pages on every device, and
    the emails they receive, use it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="language_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=8)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class TimeZonePreference(models.Model):
    """The time zone a signed-in user's browser last reported (or they chose): the emails
    they receive give times in it. Pages keep reading the browser's own `tz` cookie."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="time_zone_preference",
        verbose_name=_("user"),
    )
    # IANA names are at most 64 characters here: longer ones are refused as unknown.
    zone = models.CharField(_("time zone"), max_length=64)

    class Meta:
        verbose_name = _("time zone preference")
        verbose_name_plural = _("time zone preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.zone}"
