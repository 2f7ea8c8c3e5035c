"""What the "it's settled" email says: that a weekly meeting repeats (as the page says it), that
a re-settled meeting changed (and from what), and how to stop these emails with the switch
the settled page really has."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import dateformat

from letshangout.formats import local_format
from letshangout.models import TimeZonePreference
from lobbies import services as lobby_services
from lobbies.availability import weekly
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, propose, reload

ZONE = "Europe/Berlin"
User = get_user_model()


@pytest.fixture
def make_user(django_user_model):
    def make(email: str):
        user = django_user_model.objects.create_user(
            username=email.split("@")[0], email=email, password="correct horse battery"
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


def signed_in_seat(user, code: str, seat) -> Client:
    client = Client()
    client.force_login(user)
    seat_client(client, code, seat)
    return client


def lobby_of(make_user, settings_values) -> dict:
    """Olivia's lobby with Ann, both signed in with verified addresses."""
    olivia, ann = make_user("olivia@example.com"), make_user("ann@example.com")
    owner = lobby_services.create_lobby(settings_values, "Olivia", olivia.pk).participant
    code = owner.code
    ann_seat = lobby_services.join_lobby(reload(code), "Ann", ann.pk).participant
    return {
        "code": code,
        "owner": owner,
        "organizer": signed_in_seat(olivia, code, owner),
        "ann": signed_in_seat(ann, code, ann_seat),
    }


def ann_email():
    (message,) = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    return message


def monday_lobby(make_user):
    values = make_settings(
        dates=weekly.reference_dates((1,)), schedule=weekly.WEEKDAYS, weekdays=(1,), timezone=ZONE
    )
    return lobby_of(make_user, values)


def settle_weekly(lobby, **ends):
    """The organizer settles the Monday lobby from next Monday, 19:00, ending as `ends` says."""
    first = weekly.next_on(1, datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1))
    response = lobby["organizer"].post(
        reverse("voting:settle", args=[lobby["code"]]),
        {
            "window": "other",
            "other_start": str(evening_window(reload(lobby["code"]), 0, 19)),
            "place": "",
            "first_date": first.isoformat(),
            **ends,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    return first


@pytest.mark.django_db
def test_weekly_meeting_email_says_it_repeats_as_the_page_does(make_user):
    lobby = monday_lobby(make_user)
    first = settle_weekly(lobby, ends="count", count="10")
    page = lobby["ann"].get(reverse("lobbies:detail", args=[lobby["code"]])).content.decode()
    day = dateformat.format(first, local_format("LONG_DATE_FORMAT"))
    repeats = f"Every Monday from {day}, 10 times"
    assert repeats in page
    assert f"Repeats: {repeats}" in ann_email().body


@pytest.mark.django_db
class TestResettled:
    @pytest.fixture
    def lobby(self, make_user):
        lobby = lobby_of(make_user, make_settings(timezone=ZONE))
        lobby["pizza"] = propose(lobby["code"], lobby["owner"].participant_id, "Pizza")
        lobby["sushi"] = propose(lobby["code"], lobby["owner"].participant_id, "Sushi")
        return lobby

    def settle(self, lobby, day: int, place) -> None:
        window = evening_window(reload(lobby["code"]), day, 19)
        url = reverse("voting:settle", args=[lobby["code"]])
        response = lobby["organizer"].post(url, {"window": window, "place": place.place_id})
        assert response.status_code == HTTPStatus.FOUND

    def reopen(self, lobby) -> None:
        lobby["organizer"].post(reverse("voting:reopen", args=[lobby["code"]]))

    def day_text(self, lobby, day: int) -> str:
        settings_day = reload(lobby["code"]).lobby.dates[day]
        return dateformat.format(
            datetime.fromisoformat(settings_day).date(), local_format("DAY_YEAR_FORMAT")
        )

    def test_the_second_email_says_what_changed(self, lobby):
        self.settle(lobby, 0, lobby["pizza"])
        first = ann_email()
        assert first.subject == "It's settled: Friday drinks"
        mail.outbox.clear()
        self.reopen(lobby)
        self.settle(lobby, 1, lobby["sushi"])
        changed = ann_email()
        assert changed.subject != first.subject
        assert "changed" in changed.subject.lower()
        body = changed.body
        assert "has changed" in body
        now, before = body.index("Now"), body.index("Before")
        assert now < before
        assert self.day_text(lobby, 1) in body[now:before]
        assert "Sushi" in body[now:before]
        assert self.day_text(lobby, 0) in body[before:]
        assert "Pizza" in body[before:]

    def test_settling_again_on_the_same_time_and_place_is_not_a_change(self, lobby):
        self.settle(lobby, 0, lobby["pizza"])
        mail.outbox.clear()
        self.reopen(lobby)
        self.settle(lobby, 0, lobby["pizza"])
        assert "changed" not in ann_email().subject.lower()


@pytest.mark.django_db
def test_the_footers_switch_is_on_the_settled_page_and_works(make_user):
    lobby = lobby_of(make_user, make_settings(timezone=ZONE))
    window = evening_window(reload(lobby["code"]), 0, 19)
    settle_url = reverse("voting:settle", args=[lobby["code"]])
    lobby["organizer"].post(settle_url, {"window": window, "place": ""})
    footer = ann_email().body.strip().splitlines()[-2:]
    assert "“Turn off”" in footer[0] and "“You”" in footer[0]
    assert footer[1].startswith("Stop emails about this lobby: http")  # and a link that does it
    page = lobby["ann"].get(reverse("lobbies:detail", args=[lobby["code"]])).content.decode()
    switch = reverse("voting:notifications", args=[lobby["code"]])
    assert f'action="{switch}"' in page
    assert "Turn off" in page
    response = lobby["ann"].post(switch, {"notify_settled": ""}, follow=True)
    assert "if the time or place changes" in response.content.decode()
    mail.outbox.clear()
    lobby["organizer"].post(reverse("voting:reopen", args=[lobby["code"]]))
    lobby["organizer"].post(settle_url, {"window": window + 2, "place": ""})
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]]


@pytest.mark.django_db
class TestInTheReadersZone:
    """The settled email, like the reminder, shows the time in the zone stored on the
    reader's account, else in the lobby's; the attached event is the same for everyone."""

    def settle_at_seven(self, lobby) -> datetime:
        window = evening_window(reload(lobby["code"]), 0, 19)
        url = reverse("voting:settle", args=[lobby["code"]])
        response = lobby["organizer"].post(url, {"window": window, "place": ""})
        assert response.status_code == HTTPStatus.FOUND
        return reload(lobby["code"]).lobby.decision.starts_at

    def when(self, starts: datetime, zone: str) -> str:
        local = starts.astimezone(ZoneInfo(zone))
        return f"{dateformat.format(local, local_format('TIME_FORMAT'))}"

    def test_each_reader_gets_their_own_zone(self, make_user):
        lobby = lobby_of(make_user, make_settings(timezone=ZONE))
        ann = User.objects.get(email="ann@example.com")
        TimeZonePreference.objects.create(user=ann, zone="Europe/London")
        starts = self.settle_at_seven(lobby)
        ann_body = ann_email().body
        assert f"{self.when(starts, 'Europe/London')}" in ann_body
        assert "(Europe/London)" in ann_body and ZONE not in ann_body
        (olivia,) = [m for m in mail.outbox if m.to == ["olivia@example.com"]]
        assert f"{self.when(starts, ZONE)}" in olivia.body and f"({ZONE})" in olivia.body
        assert ann_email().attachments == olivia.attachments  # the event is the same

    def test_a_weekly_meeting_stays_in_the_lobbys_wall_clock(self, make_user):
        lobby = monday_lobby(make_user)
        ann = User.objects.get(email="ann@example.com")
        TimeZonePreference.objects.create(user=ann, zone="Europe/London")
        settle_weekly(lobby, ends="never")
        body = ann_email().body
        assert f"({ZONE})" in body and "Europe/London" not in body
