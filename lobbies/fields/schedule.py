"""The lobby form's choice between specific dates and days of the week (availability/weekly.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lobbies.availability import weekly

SCHEDULE_CHOICES = [
    (weekly.DATES, _("Specific dates")),
    (weekly.WEEKDAYS, _("Days of the week, no dates (for something every week)")),
]
# django.utils.dates.WEEKDAYS counts from 0 = Monday; ISO weekdays from 1 = Monday.
WEEKDAY_CHOICES = [(number, WEEKDAYS[number - 1]) for number in weekly.ISO_WEEKDAYS]


class ScheduleFields(forms.Form):
    """Fields and checks of a lobby's schedule, for the lobby form to build on."""

    schedule = forms.ChoiceField(
        label=_("Plan on"),
        choices=SCHEDULE_CHOICES,
        initial=weekly.DATES,
        required=False,
        widget=forms.RadioSelect,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Which days of the week?"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_schedule(self) -> str:
        return self.cleaned_data.get("schedule") or weekly.DATES

    def weekly_dates(self, cleaned: dict, today: date) -> tuple[date, ...] | None:
        """The grid's columns of a weekly lobby (the reference week's days), or None when the
        lobby is planned on dates."""
        if cleaned.get("schedule") != weekly.WEEKDAYS:
            return None
        chosen = cleaned.get("weekdays") or []
        if not chosen:
            self.add_error("weekdays", _("Pick at least one day of the week."))
            return ()
        deadline = cleaned.get("deadline")
        last = today + timedelta(days=settings.WEEKLY_LOBBY_RETENTION_DAYS)
        if isinstance(deadline, datetime) and deadline.date() > last:
            self.add_error(
                "deadline",
                ngettext(
                    "Choose a deadline within %(days)d day; the lobby is deleted then.",
                    "Choose a deadline within %(days)d days; the lobby is deleted then.",
                    settings.WEEKLY_LOBBY_RETENTION_DAYS,
                )
                % {"days": settings.WEEKLY_LOBBY_RETENTION_DAYS},
            )
        return weekly.reference_dates(chosen)

    def schedule_settings(self) -> dict:
        """The schedule as LobbySettings takes it."""
        if self.cleaned_data.get("schedule") != weekly.WEEKDAYS:
            return {"schedule": weekly.DATES, "weekdays": ()}
        return {
            "schedule": weekly.WEEKDAYS,
            "weekdays": tuple(sorted(self.cleaned_data["weekdays"])),
        }

    @staticmethod
    def schedule_initial(lobby) -> dict:
        if not weekly.is_weekly(lobby):
            return {"schedule": weekly.DATES}
        return {
            "schedule": weekly.WEEKDAYS,
            "weekdays": [int(day) for day in lobby.weekdays or ()],
            "days": [],
        }
