"""Settling a weekly lobby: the meeting's weekday and time, and from when and how long it
repeats (lobbies/weekly.py)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from lobbies import weekly
from lobbies.labels import day_label
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
        help_text=_("It must fall on the day of the week you settle on."),
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
        first = cleaned.get("first_date")
        if start is None or not 0 <= start < self.spec.slot_count:
            return cleaned  # the time itself is refused, by the form or by settling
        weekday = self.spec.dates[self.spec.slot_position(start)[0]]
        if first is None:
            self.add_error("first_date", _("Give the date of the first meeting."))
        elif first.isoweekday() != weekday.isoweekday():
            self.add_error(
                "first_date",
                _("The first date must be a %(weekday)s, like the time you settle on.")
                % {"weekday": day_label(weekday)},
            )
        elif first < datetime.now(self.spec.zone).date():
            self.add_error("first_date", _("The first date must not be in the past."))
        else:
            cleaned["repeat"] = self._repeat(cleaned, first)
        return cleaned

    def _repeat(self, cleaned: dict, first) -> weekly.Repeat | None:
        ends = cleaned.get("ends") or NEVER
        until, count = cleaned.get("until_date"), cleaned.get("count")
        if ends == UNTIL and until is None:
            self.add_error("until_date", _("Give the last date, or choose no end."))
        elif ends == UNTIL and until < first:
            self.add_error("until_date", _("The last date comes before the first."))
        elif ends == COUNT and count is None:
            self.add_error("count", _("Say how many times, or choose no end."))
        else:
            return weekly.Repeat(
                first, until if ends == UNTIL else None, count if ends == COUNT else None
            )
        return None
