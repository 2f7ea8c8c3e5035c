"""The month-calendar widget of the create form: day checkboxes laid out as months, in the
reader's week order, that work without JavaScript."""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache

from babel import Locale, UnknownLocaleError
from django import forms
from django.utils import formats
from django.utils.translation import get_language

CALENDAR_MONTHS = 4


class MonthCalendarWidget(forms.CheckboxSelectMultiple):
    """Day checkboxes laid out as month calendars; works without JavaScript."""

    template_name = "lobbies/widgets/month_calendar.html"

    # The first day to offer: today where the person filling in the form is (the form sets it).
    today: date | None = None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = set(value or [])
        today = self.today or date.today()
        context["widget"]["months"] = [
            _month_weeks(year, month, chosen, today) for year, month in _upcoming_months(today)
        ]
        context["widget"]["weekdays"] = week_of(get_language() or "en")[1]
        return context


@cache
def week_of(language: str) -> tuple[int, tuple[str, ...]]:
    """The first day of the week where `language` is read (0 = Monday) and the weekdays'
    short names in calendar order. The first day is the language's FIRST_DAY_OF_WEEK in
    letshangout/formats/ (Django's numbering, 0 = Sunday), chosen per language because a bare
    language code has no country for CLDR to take it from; the names come from CLDR (babel)."""
    try:
        locale = Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    first = (int(formats.get_format("FIRST_DAY_OF_WEEK", language)) - 1) % 7
    names = locale.days["stand-alone"]["abbreviated"]
    return first, tuple(names[(first + i) % 7] for i in range(7))


def _upcoming_months(today: date) -> list[tuple[int, int]]:
    months = []
    year, month = today.year, today.month
    for _i in range(CALENDAR_MONTHS):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_weeks(year: int, month: int, chosen: set[str], today: date) -> dict:
    weeks = []
    first = week_of(get_language() or "en")[0]
    for week in calendar.Calendar(firstweekday=first).monthdatescalendar(year, month):
        weeks.append(
            [
                {
                    "date": day,
                    "iso": day.isoformat(),
                    "in_month": day.month == month,
                    "past": day < today,
                    "checked": day.isoformat() in chosen,
                }
                for day in week
            ]
        )
    return {"first": date(year, month, 1), "weeks": weeks}
