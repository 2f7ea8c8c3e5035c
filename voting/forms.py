"""Forms for proposing places, voting, settling and the settled email."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import URLValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from letshangout.formats import local_format
from lobbies.availability import weekly
from lobbies.availability.answers import spec_for
from lobbies.availability.grid import GridSpec, get_zone
from lobbies.availability.windows import Window
from lobbies.fields.deadlines import WallClockDateTimeField, check_deadline
from lobbies.forms import LongTextField, shows
from lobbies.page.labels import day_label
from voting import services
from voting.decisions import window_starts
from voting.ranking import MAYBE, NO, YES

VOTE_CHOICES = [
    (YES, pgettext_lazy("vote on a place", "Yes")),
    (MAYBE, pgettext_lazy("vote on a place", "If need be")),
    (NO, pgettext_lazy("vote on a place", "No")),
]
LINK_SCHEMES = ("http", "https")
OTHER = "other"


class WebLinkField(forms.URLField):
    """A URL field that takes web links only, and says so once: URLField's own validator
    beside a stricter one would report the same "invalid" error twice."""

    default_validators = [URLValidator(schemes=list(LINK_SCHEMES))]
    default_error_messages = {
        "invalid": _("Enter a web address that starts with http:// or https://."),
    }


def _strip(value: str) -> str:
    return " ".join(value.split()) if shows(value or "") else ""


class PlaceForm(forms.Form):
    name = forms.CharField(
        label=_("Place"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Address (optional)"),
        max_length=services.ADDRESS_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    link = WebLinkField(
        label=_("Link (optional)"),
        max_length=services.LINK_MAX,
        required=False,
        assume_scheme="https",
        help_text=_("A website or a map link."),
    )
    note = LongTextField(
        label=_("Note (optional)"),
        max_length=services.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_name(self) -> str:
        name = _strip(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Give the place a name."))
        return name

    def clean_address(self) -> str:
        return _strip(self.cleaned_data["address"])

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean_link(self) -> str:
        link = self.cleaned_data["link"]
        # URLValidator already refuses other schemes; this keeps the rule explicit and safe
        # should anyone loosen the validator: only web links ever reach an href.
        if link and urlsplit(link).scheme.lower() not in LINK_SCHEMES:
            raise forms.ValidationError(
                _("Enter a web address that starts with http:// or https://.")
            )
        return link

    def to_values(self) -> services.PlaceValues:
        data = self.cleaned_data
        return services.PlaceValues(
            name=data["name"], address=data["address"], link=data["link"], note=data["note"]
        )

    @classmethod
    def initial_from(cls, place) -> dict:
        return {
            "name": place.name,
            "address": place.address,
            "link": place.link,
            "note": place.note,
        }


class VoteForm(forms.Form):
    value = forms.ChoiceField(
        choices=VOTE_CHOICES,
        error_messages={"invalid_choice": _("Choose yes, if need be or no.")},
    )


class NotifyForm(forms.Form):
    notify_settled = forms.BooleanField(required=False)


class GuestEmailForm(forms.Form):
    """A guest's address for the lobby's emails (voting/emails/guest_email.py)."""

    email = forms.EmailField(
        label=_("Email me when it's settled"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "guest_%s")  # the lobby page has other forms' fields
        super().__init__(*args, **kwargs)


def _time_range(start: datetime, end: datetime) -> str:
    text = f"{date_format(start, 'TIME_FORMAT')}–{date_format(end, 'TIME_FORMAT')}"
    if end.date() != start.date():
        text += f" ({date_format(end, 'D ' + local_format('SHORT_DAY_FORMAT'))})"
    return text


class SettleForm(forms.Form):
    """Pick a window (one of the best, or any other that fits the grid) and a place or none."""

    # Any window of the grid may be posted (the lobby page's quick "settle on this" button
    # posts the recommended one), so this is checked against every possible start, not
    # only against the best windows the radio buttons list.
    window = forms.CharField(label=_("When"), widget=forms.RadioSelect, max_length=12)
    other_start = forms.TypedChoiceField(
        label=_("Another time"), coerce=int, required=False, empty_value=None
    )
    place = forms.ChoiceField(label=_("Where"), widget=forms.RadioSelect, required=False)

    def __init__(
        self,
        *args,
        spec: GridSpec,
        width: int,
        best: Sequence[Window],
        places: Sequence[tuple[str, str]],
        viewer_tz: str,
        window_texts: dict[int, str],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["window"].widget.choices = [
            (str(w.start_slot), window_texts[w.start_slot]) for w in best
        ] + [(OTHER, _("Another time (choose below)"))]
        self.fields["other_start"].choices = [("", _("Choose a time"))] + _grouped_starts(
            spec, width, get_zone(viewer_tz)
        )
        self.fields["place"].choices = [(pid, name) for pid, name in places] + [("", _("No place"))]

    def clean_window(self) -> str:
        # Whether the time fits the grid is the settling service's rule; here only its shape.
        value = self.cleaned_data["window"]
        if value != OTHER and not value.isdigit():
            raise forms.ValidationError(
                _("That time is not a possible meeting time in this lobby's calendar.")
            )
        return value

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("window")
        if choice == OTHER:
            start = cleaned.get("other_start")
            if start is None:
                self.add_error("other_start", _("Choose the time you settle on."))
            cleaned["start_slot"] = start
        elif choice:
            cleaned["start_slot"] = int(choice)
        return cleaned


def _grouped_starts(spec: GridSpec, width: int, zone: ZoneInfo) -> list:
    """Every possible window, grouped by day for the select's optgroups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for start in window_starts(spec, width):
        begins = spec.slot_start(start).astimezone(zone)
        ends = spec.slot_end(start + width - 1).astimezone(zone)
        day = day_label(begins.date())  # a weekly lobby's day is a weekday, with no date
        label = day if spec.whole_day else _time_range(begins, ends)
        groups.setdefault(day, []).append((start, label))
    return list(groups.items())


class ReopenForm(forms.Form):
    """Reopening a lobby whose deadline has passed: a new deadline, or none when left empty
    (the service replaces or removes it, so reopening never leaves the lobby locked)."""

    deadline = WallClockDateTimeField(
        label=_("New deadline (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The deadline has passed. Leave it empty to reopen without a deadline."),
    )

    def __init__(self, *args, lobby, **kwargs):
        super().__init__(*args, prefix="reopen", **kwargs)
        self.lobby = lobby

    def clean_deadline(self) -> datetime | None:
        value = self.cleaned_data["deadline"]
        if value is None:
            return None
        # A weekly lobby's columns are no days a deadline could be bounded by.
        dates = () if weekly.is_weekly(self.lobby) else spec_for(self.lobby).dates
        deadline, error = check_deadline(value, ZoneInfo(self.lobby.timezone), dates)
        if error:
            raise forms.ValidationError(error)
        return deadline
