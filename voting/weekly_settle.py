"""Settling a weekly lobby: the meeting's weekday and time, and from when and how long it
repeats (lobbies/availability/weekly.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from letshangout.formats import local_format
from lobbies.availability import weekly
from lobbies.fields.deadlines import MAX_DAYS_AHEAD
from lobbies.page.labels import day_label
from voting.forms import SettleForm

NEVER, UNTIL, COUNT = "never", "until", "count"
END_CHOICES = [
    (NEVER, _("Every week, no end")),
    (UNTIL, _("Until a date")),
    (COUNT, _("A number of times")),
]


class WeeklySettleForm(SettleForm):
    """SettleForm plus the first date (on the chosen weekday, not past) and an optional end."""

    first_date = forms.DateField(
        label=_("First date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "It must fall on the day of the week you settle on. Left empty, it is the next one."
        ),
    )
    ends = forms.ChoiceField(
        label=_("Repeats"),
        choices=END_CHOICES,
        initial=NEVER,
        required=False,
        widget=forms.RadioSelect,
    )
    until_date = forms.DateField(
        label=_("Last date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    count = forms.IntegerField(
        label=_("How many times"), required=False, min_value=1, max_value=weekly.MAX_COUNT
    )

    def __init__(self, *args, spec, **kwargs):
        self.spec = spec
        super().__init__(*args, spec=spec, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start_slot")
        if start is None or not 0 <= start < self.spec.slot_count:
            return cleaned  # the time itself is refused, by the form or by settling
        weekday = self.spec.dates[self.spec.slot_position(start)[0]]
        today = datetime.now(self.spec.zone).date()
        first = cleaned.get("first_date")
        if first is None and "first_date" not in self.errors:
            # Left empty (as a page without JavaScript leaves it): the next meeting day.
            first = cleaned["first_date"] = weekly.next_on(weekday.isoweekday(), today)
        if first is None:
            return cleaned
        if first.isoweekday() != weekday.isoweekday():
            self.add_error(
                "first_date",
                _("The first date must be a %(weekday)s, like the time you settle on.")
                % {"weekday": day_label(weekday)},
            )
        elif first < today:
            self.add_error("first_date", _("The first date must not be in the past."))
        elif first > today + timedelta(days=MAX_DAYS_AHEAD):
            # As a lobby's days on creation: a year ahead at most.
            self.add_error("first_date", _("Choose a first date within the next year."))
        else:
            cleaned["repeat"] = self._repeat(cleaned, first)
        return cleaned

    def _repeat(self, cleaned: dict, first) -> weekly.Repeat | None:
        """The end follows what was filled in: a last date repeats until it, a count that
        many times. A field the chosen mode contradicts is refused, never silently dropped."""
        if "until_date" in self.errors or "count" in self.errors:
            return None  # its own message says what is wrong, once
        until, count = cleaned.get("until_date"), cleaned.get("count")
        ends = cleaned.get("ends") or NEVER
        if until is not None and count is not None:
            self.add_error("count", _("Give a last date or a number of times, not both."))
        elif ends == UNTIL and until is None:
            self.add_error("until_date", _("Give the last date, or choose no end."))
        elif ends == COUNT and count is None:
            self.add_error("count", _("Say how many times, or choose no end."))
        elif until is not None and until < first:
            self.add_error("until_date", _("The last date comes before the first."))
        elif until is not None and until > weekly.latest_until(first):
            self.add_error("until_date", _latest_until_message(first))
        else:
            return weekly.Repeat(first, until, count)
        return None

    def first_dates(self) -> str:
        """For the page's script: the next date on each column's weekday, space-separated
        in column order, so the first date follows the chosen time."""
        today = datetime.now(self.spec.zone).date()
        return " ".join(
            weekly.next_on(day.isoweekday(), today).isoformat() for day in self.spec.dates
        )


def _latest_until_message(first: date) -> str:
    latest = dateformat.format(weekly.latest_until(first), local_format("DAY_YEAR_FORMAT"))
    return _("Choose a last date no later than %(day)s.") % {"day": latest}
