"""Forms for creating, editing, joining and finding lobbies."""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lobbies import codes
from lobbies.fields.deadlines import WallClockDateTimeField, check_deadline
from lobbies.fields.late_join import LateJoinField
from lobbies.fields.schedule import ScheduleFields
from lobbies.fields.widgets import CALENDAR_MONTHS, MonthCalendarWidget
from lobbies.page.labels import timezone_choices
from lobbies.services import LobbySettings

MAX_DAYS = 31
MAX_DAYS_AHEAD = 365
WHOLE_DAY = 1440
SLOT_CHOICES = [(15, _("15 minutes")), (30, _("30 minutes")), (60, _("1 hour"))]
MEETING_CHOICES = [
    (30, _("30 minutes")),
    (60, _("1 hour")),
    (90, _("1½ hours")),
    (120, _("2 hours")),
    (180, _("3 hours")),
    (240, _("4 hours")),
    (WHOLE_DAY, _("A whole day")),
]
NAME_MAX = 60
REMIND_CHOICES = [
    (1, _("1 hour")),
    (3, _("3 hours")),
    (6, _("6 hours")),
    (12, _("12 hours")),
    (24, _("1 day")),
    (48, _("2 days")),
    (72, _("3 days")),
]


def at_most_days() -> str:
    return ngettext("Choose at most %(max)d day.", "Choose at most %(max)d days.", MAX_DAYS) % {
        "max": MAX_DAYS
    }


def today_in(tz_name: str) -> date:
    return datetime.now(zoneinfo.ZoneInfo(tz_name)).date()


def shows(text: str) -> bool:
    """Whether any character of `text` would show: a name of zero-width spaces or other
    format characters reads as blank, as one of spaces does."""
    return any(unicodedata.category(char)[0] not in "CZ" for char in text)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class LongTextField(forms.CharField):
    """A text box whose length only the server checks: a browser's maxlength cuts a longer
    paste silently, where the form's error says so and sends the text back whole."""

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class LobbyForm(ScheduleFields):
    """The settings of a lobby. Only the title is required; everything else has a default.
    Planned on dates or on days of the week (ScheduleFields)."""

    title = forms.CharField(label=_("What are you planning?"), max_length=120)
    description = LongTextField(
        label=_("Details (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    days = forms.MultipleChoiceField(
        label=_("Pick the days"),
        required=False,
        widget=MonthCalendarWidget,
    )
    range_start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    range_end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    whole_days = forms.BooleanField(label=_("Whole days, no times"), required=False)
    day_start = forms.TimeField(
        label=_("Earliest start"),
        initial=time(18, 0),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
    )
    day_end = forms.TimeField(
        label=_("Latest end"),
        initial=time(23, 0),
        help_text=_("00:00 means midnight."),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
    )
    slot_minutes = forms.TypedChoiceField(
        label=_("Slot length"), choices=SLOT_CHOICES, coerce=int, initial=30
    )
    meeting_minutes = forms.TypedChoiceField(
        label=_("How long will you meet?"), choices=MEETING_CHOICES, coerce=int, initial=120
    )
    timezone = forms.ChoiceField(label=_("Time zone"), initial="UTC")
    deadline = WallClockDateTimeField(
        label=_("Answer by (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    auto_settle = forms.BooleanField(
        label=_("Settle automatically on the best time and place at the deadline"),
        required=False,
    )
    notify_owner_all_answered = forms.BooleanField(
        label=_("Email me when everyone has answered"), required=False
    )
    remind = forms.BooleanField(
        label=_("Email a reminder to those who have not answered"), required=False
    )
    # Only read when "remind" is ticked; a form that leaves it out gets the default.
    remind_hours = forms.TypedChoiceField(
        label=_("How long before the deadline"),
        choices=REMIND_CHOICES,
        coerce=int,
        initial=24,
        required=False,
        empty_value=24,
    )

    def __init__(
        self,
        *args,
        kept_dates: frozenset[date] = frozenset(),
        today: date | None = None,
        organizer_has_email: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # "Everyone has answered" goes to the organizer's verified address: without one the
        # box is shown switched off, beside how to get it (#notify-owner-help).
        self.organizer_has_email = organizer_has_email
        if not organizer_has_email:
            self.fields["notify_owner_all_answered"].widget.attrs.update(
                {"disabled": True, "aria-describedby": "notify-owner-help"}
            )
        # An existing lobby may keep its days even once they are past.
        self.kept_dates = kept_dates
        self.fields["timezone"].choices = timezone_choices(self["timezone"].value())
        self.fields["days"].choices = self._day_choices(kept_dates)
        self.fields["days"].widget.today = today

    @staticmethod
    def _day_choices(kept_dates: frozenset[date]) -> list[tuple[str, str]]:
        # From yesterday in UTC: today somewhere west of UTC. The calendar offers days from
        # the visitor's today; clean() checks them against the lobby zone's today.
        start = date.today() - timedelta(days=1)
        days = {start + timedelta(days=n) for n in range(CALENDAR_MONTHS * 31 + 2)}
        return [(day.isoformat(), day.isoformat()) for day in sorted(days | kept_dates)]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not shows(title):
            raise forms.ValidationError(_("Give your plan a title."))
        return title

    def clean(self):
        cleaned = super().clean()
        tz_name = cleaned.get("timezone")
        if not tz_name:
            return cleaned
        weekdays = self.weekly_dates(cleaned, today_in(tz_name))
        cleaned["dates"] = (
            weekdays if weekdays is not None else self._clean_dates(cleaned, today_in(tz_name))
        )
        self._clean_window(cleaned)
        # A weekly lobby's columns are no days a deadline could be bounded by.
        bound = () if weekdays is not None else cleaned["dates"]
        self._clean_deadline(cleaned, zoneinfo.ZoneInfo(tz_name), bound)
        if cleaned.get("remind") and not cleaned.get("deadline"):
            self.add_error("remind", _("Set a deadline to send a reminder before it."))
        if cleaned.get("notify_owner_all_answered") and not self.organizer_has_email:
            no_address = _("There is no verified email address to send it to.")
            self.add_error("notify_owner_all_answered", no_address)
        return cleaned

    def _clean_dates(self, cleaned: dict, today: date) -> tuple[date, ...]:
        picked = {date.fromisoformat(day) for day in cleaned.get("days") or []}
        start, end = cleaned.get("range_start"), cleaned.get("range_end")
        if start or end:
            start, end = start or end, end or start
            if end < start:
                self.add_error("range_end", _("The last day comes before the first."))
                return ()
            if (end - start).days >= MAX_DAYS:
                self.add_error("range_end", at_most_days())
                return ()
            picked |= {start + timedelta(days=n) for n in range((end - start).days + 1)}
        if not picked:
            picked = {today + timedelta(days=n) for n in range(7)}
        dates = tuple(sorted(picked))
        past = [day for day in dates if day < today and day not in self.kept_dates]
        if past:
            self.add_error(
                "days", _("Pick days from today on; %(day)s is past.") % {"day": past[0]}
            )
        elif dates[-1] > today + timedelta(days=MAX_DAYS_AHEAD):
            self.add_error("days", _("Pick days within the next year."))
        elif len(dates) > MAX_DAYS:
            self.add_error("days", at_most_days())
        return dates

    def _clean_window(self, cleaned: dict) -> None:
        if cleaned.get("whole_days"):
            cleaned["day_start"], cleaned["day_end"] = time(0), time(0)
            cleaned["slot_minutes"], cleaned["meeting_minutes"] = WHOLE_DAY, WHOLE_DAY
            return
        start, end = cleaned.get("day_start"), cleaned.get("day_end")
        slot, meeting = cleaned.get("slot_minutes"), cleaned.get("meeting_minutes")
        if start is None or end is None or slot is None or meeting is None:
            return
        start_min, end_min = _minutes(start), _minutes(end) or WHOLE_DAY
        if end_min <= start_min:
            self.add_error("day_end", _("The day must end after it starts."))
        elif start_min % slot or end_min % slot:
            self.add_error(
                "day_start",
                ngettext(
                    "Start and end must fall on the slot length (every %(slot)d minute).",
                    "Start and end must fall on the slot length (every %(slot)d minutes).",
                    slot,
                )
                % {"slot": slot},
            )
        elif meeting != WHOLE_DAY and meeting > end_min - start_min:
            self.add_error("meeting_minutes", _("The meeting is longer than the daily window."))
        elif meeting == WHOLE_DAY:
            cleaned["meeting_minutes"] = end_min - start_min

    def _clean_deadline(self, cleaned: dict, tz: zoneinfo.ZoneInfo, dates) -> None:
        if cleaned.get("deadline") is None:
            return
        # The browser sends a wall-clock time; it means the lobby's zone, not the server's.
        deadline, error = check_deadline(cleaned["deadline"], tz, dates)
        if error:
            self.add_error("deadline", error)
        else:
            cleaned["deadline"] = deadline

    def to_settings(self) -> LobbySettings:
        data = self.cleaned_data
        return LobbySettings(
            title=data["title"],
            description=data["description"].strip(),
            timezone=data["timezone"],
            dates=data["dates"],
            day_start=_minutes(data["day_start"]),
            day_end=_minutes(data["day_end"]) or WHOLE_DAY,
            slot_minutes=data["slot_minutes"],
            meeting_minutes=data["meeting_minutes"],
            deadline=data.get("deadline"),
            auto_settle=data["auto_settle"],
            notify_owner_all_answered=data["notify_owner_all_answered"],
            remind_hours=data["remind_hours"] if data.get("remind") else None,
            **self.schedule_settings(),
        )

    @classmethod
    def initial_from(cls, lobby) -> dict:
        tz = zoneinfo.ZoneInfo(lobby.timezone)
        whole = lobby.slot_minutes == WHOLE_DAY
        return {
            "title": lobby.title,
            "description": lobby.description,
            "days": list(lobby.dates),
            "whole_days": whole,
            "day_start": time(lobby.day_start // 60, lobby.day_start % 60) if not whole else None,
            "day_end": time((lobby.day_end // 60) % 24, lobby.day_end % 60) if not whole else None,
            "slot_minutes": lobby.slot_minutes if not whole else 30,
            "meeting_minutes": lobby.meeting_minutes if not whole else WHOLE_DAY,
            "timezone": lobby.timezone,
            "deadline": lobby.deadline.astimezone(tz).replace(tzinfo=None)
            if lobby.deadline
            else None,
            "auto_settle": lobby.auto_settle,
            "notify_owner_all_answered": lobby.notify_owner_all_answered,
            "remind": lobby.remind_hours is not None,
            "remind_hours": int(lobby.remind_hours or 24),
            **cls.schedule_initial(lobby),
        }


class CreateLobbyForm(LobbyForm):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX,
        required=False,
        help_text=_("Shown to the people you invite."),
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        return name if shows(name) else str(_("Organizer"))


class EditLobbyForm(LateJoinField, LobbyForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class JoinForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    # The browser's zone (static/js/app.js fills it in), so the first page after joining is
    # already in the joiner's own time; without it, pages use the organizer's zone.
    tz = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.HiddenInput(attrs={"data-browser-zone": ""}),
    )

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not shows(name):
            raise forms.ValidationError(_("Tell the others who you are."))
        return name


class FindLobbyForm(forms.Form):
    code = forms.CharField(
        label=_("Lobby code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-EFGH",
            }
        ),
    )

    def clean_code(self) -> str:
        code = codes.normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_("A lobby code has 8 letters and digits, like ABCD-EFGH."))
        return code


class PeopleSearchForm(forms.Form):
    """The search box of a people list (lobbies/people/lists.py)."""

    q = forms.CharField(label=_("Search by name"), max_length=100, required=False, strip=True)
