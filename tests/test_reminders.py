"""Reminders before the deadline: the setting, who gets one, once, in their language."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from letshangout.formats import local_format
from letshangout.models import LanguagePreference, TimeZonePreference
from lobbies import services
from lobbies.availability import saving, weekly
from lobbies.entities import Lobby
from lobbies.forms import LobbyForm
from lobbies.store import get_lobby, load_lobby
from tests.conftest import seat_client
from tests.factories import make_settings
from voting.emails import recipients, reminders


def deadline_in(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


@pytest.fixture
def people(db, django_user_model):
    def make(name: str, verified: bool = True, language: str | None = None, zone: str = ""):
        user = django_user_model.objects.create_user(
            username=name, email=f"{name}@example.com", password="pw-long-enough-1"
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
        if language:
            LanguagePreference.objects.create(user=user, language=language)
        if zone:
            TimeZonePreference.objects.create(user=user, zone=zone)
        return user

    return make


@pytest.fixture
def reminded_lobby(people):
    """A lobby due for its reminder: the deadline in 10 h, a reminder 24 h before it."""
    owner = people("olivia")
    values = make_settings(deadline=deadline_in(10), remind_hours=24)
    membership = services.create_lobby(values, "Olivia", owner.pk)
    code = membership.participant.code
    return code


def join(code: str, name: str, user_id: int | None):
    return services.join_lobby(load_lobby(code), name, user_id).participant


@pytest.mark.django_db
class TestSending:
    def test_once_to_each_verified_person_who_has_not_answered(self, reminded_lobby, people):
        code = reminded_lobby
        ann, bob, cid = people("ann"), people("bob", verified=False), people("cid")
        join(code, "Ann", ann.pk)
        join(code, "Bob", bob.pk)
        cid_seat = join(code, "Cid", cid.pk)
        join(code, "Guest", None)
        lobby = get_lobby(code)
        saving.save_availability(
            saving.answer_sheet(lobby, _key(lobby)), cid_seat.participant_id, {0}, set()
        )
        call_command("send_reminders")
        recipients = sorted(message.to[0] for message in mail.outbox)
        assert recipients == ["ann@example.com", "olivia@example.com"]
        message = mail.outbox[0]
        assert "Friday drinks" in message.subject and "&" not in message.subject
        assert f"/accounts/login/?next=/l/{code}/" in message.body
        call_command("send_reminders")
        assert len(mail.outbox) == 2
        stored = load_lobby(code)
        assert all(
            (p.reminded_at is not None) == (p.display_name in {"Ann", "Olivia"})
            for p in stored.participants.values()
        )

    def test_two_overlapping_runs_send_once(self, reminded_lobby, people, monkeypatch):
        users = [people(name) for name in ("ann", "bea", "cal")]
        for user in users:
            join(reminded_lobby, user.username.title(), user.pk)
        # The runs' threads cannot see the test's database transaction: addresses up front.
        addresses = recipients.verified_emails(
            p.user_id for p in load_lobby(reminded_lobby).participants.values()
        )
        monkeypatch.setattr(recipients, "verified_emails", lambda ids: addresses)
        monkeypatch.setattr(recipients, "languages_of", lambda ids: {})
        monkeypatch.setattr(recipients, "zones_of", lambda ids: {})
        barrier = threading.Barrier(2)
        outcomes = []
        real_waiting = reminders.waiting

        def both_see_everyone_waiting(snapshot):
            found = real_waiting(snapshot)
            barrier.wait(timeout=10)  # both runs read the lobby before either claims
            return found

        def run():
            outcomes.append(reminders.remind_lobby(reminded_lobby))

        reminders.waiting = both_see_everyone_waiting
        try:
            threads = [threading.Thread(target=run) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        finally:
            reminders.waiting = real_waiting
        assert sorted(mail.to[0] for mail in mail.outbox) == [
            "ann@example.com",
            "bea@example.com",
            "cal@example.com",
            "olivia@example.com",
        ]
        assert sum(o.sent for o in outcomes) == 4 and sum(o.already for o in outcomes) == 4

    def test_in_the_persons_language(self, reminded_lobby, people):
        join(reminded_lobby, "Dora", people("dora", language="de").pk)
        call_command("send_reminders")
        german = next(m for m in mail.outbox if m.to == ["dora@example.com"])
        english = next(m for m in mail.outbox if m.to == ["olivia@example.com"])
        assert "Reminder" in english.subject
        assert german.body  # rendered with German active (its catalog may still be partial)

    def test_not_before_its_time_nor_after_the_deadline_nor_when_settled(self, people):
        owner = people("olivia")
        early = services.create_lobby(
            make_settings(deadline=deadline_in(48), remind_hours=24), "O", owner.pk
        )
        assert reminders.due_lobby_codes(datetime.now(UTC)) == []
        call_command("send_reminders")
        assert mail.outbox == []
        code = early.participant.code
        later = datetime.now(UTC) + timedelta(hours=30)
        assert reminders.due_lobby_codes(later) == [code]
        assert reminders.due_lobby_codes(datetime.now(UTC) + timedelta(hours=49)) == []
        services.set_joining_locked(load_lobby(code), None, True)
        assert reminders.remind_lobby(code, later).sent == 0

    def test_dry_run_records_and_sends_nothing(self, reminded_lobby):
        call_command("send_reminders", "--dry-run")
        assert mail.outbox == []
        assert all(p.reminded_at is None for p in load_lobby(reminded_lobby).participants.values())


@pytest.mark.django_db
class TestSetting:
    def form_data(self, **overrides) -> dict:
        data = {
            "title": "Drinks",
            "day_start": "18:00",
            "day_end": "23:00",
            "slot_minutes": "30",
            "meeting_minutes": "120",
            "timezone": "UTC",
        }
        data.update(overrides)
        return data

    def test_needs_a_deadline(self):
        form = LobbyForm(self.form_data(remind="on", remind_hours="24"))
        assert not form.is_valid() and "remind" in form.errors

    def test_stored_as_hours_and_the_instant(self, lobby, organizer_client):
        deadline = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        form = LobbyForm(self.form_data(remind="on", remind_hours="3", deadline=deadline))
        assert form.is_valid(), form.errors
        values = form.to_settings()
        membership = services.create_lobby(values, "O", None)
        stored = Lobby.get_current(membership.participant.code)
        assert stored.remind_hours == 3
        assert stored.remind_at == stored.deadline - timedelta(hours=3)
        initial = LobbyForm.initial_from(stored)
        assert initial["remind"] is True and initial["remind_hours"] == 3

    def test_settings_page_shows_it(self, lobby, organizer_client):
        page = organizer_client.get(reverse("lobbies:edit", args=[lobby.code]))
        assert page.status_code == HTTPStatus.OK
        assert 'name="remind"' in page.content.decode()
        assert 'name="remind_hours"' in page.content.decode()


def _key(lobby) -> str:
    from lobbies.availability.answers import grid_key, spec_for

    return grid_key(spec_for(lobby))


@pytest.mark.django_db
class TestWording:
    """The deadline reads as on the pages (day and time formats), with its zone named."""

    def deadline_text(
        self, code: str, language: str, zone: str = "Europe/Berlin"
    ) -> tuple[str, str]:
        deadline = get_lobby(code).deadline
        with translation.override(language), timezone.override(ZoneInfo(zone)):
            return (
                dateformat.format(timezone.localtime(deadline), local_format("DAY_FORMAT")),
                dateformat.format(timezone.localtime(deadline), local_format("TIME_FORMAT")),
            )

    def test_english_uses_the_pages_date_style(self, reminded_lobby):
        call_command("send_reminders")
        (message,) = mail.outbox
        day, time = self.deadline_text(reminded_lobby, "en")
        assert f"Answers close on {day} at {time} (Europe/Berlin)." in message.body
        assert "a.m." not in message.body and "p.m." not in message.body

    def test_in_the_readers_stored_zone_else_the_lobbys(self, reminded_lobby, people):
        ann = people("ann", zone="America/New_York")
        join(reminded_lobby, "Ann", ann.pk)
        call_command("send_reminders")
        (to_ann,) = [m for m in mail.outbox if m.to == ["ann@example.com"]]
        (to_olivia,) = [m for m in mail.outbox if m.to == ["olivia@example.com"]]
        day, time = self.deadline_text(reminded_lobby, "en", "America/New_York")
        assert f"Answers close on {day} at {time} (America/New_York)." in to_ann.body
        day, time = self.deadline_text(reminded_lobby, "en")
        assert f"Answers close on {day} at {time} (Europe/Berlin)." in to_olivia.body

    def test_a_weekly_lobbys_deadline_is_converted_too(self, people):
        owner = people("olivia", zone="Asia/Tokyo")
        values = make_settings(
            dates=weekly.reference_dates((1,)),
            schedule=weekly.WEEKDAYS,
            weekdays=(1,),
            deadline=deadline_in(10),
            remind_hours=24,
        )
        code = services.create_lobby(values, "Olivia", owner.pk).participant.code
        call_command("send_reminders")
        (message,) = mail.outbox
        day, time = self.deadline_text(code, "en", "Asia/Tokyo")
        assert f"Answers close on {day} at {time} (Asia/Tokyo)." in message.body

    def test_one_query_for_everyones_zone(self, reminded_lobby, people):
        for name in ("ann", "bea", "cal"):
            join(reminded_lobby, name.title(), people(name, zone="Asia/Tokyo").pk)
        with CaptureQueriesContext(connection) as queries:
            call_command("send_reminders")
        assert len(mail.outbox) == 4
        zone_reads = [q for q in queries if "timezonepreference" in q["sql"].lower()]
        assert len(zone_reads) == 1

    def test_french_says_a_before_the_time(self, reminded_lobby, people):
        ann = people("ann", language="fr")
        join(reminded_lobby, "Ann", ann.pk)
        call_command("send_reminders")
        (message,) = [m for m in mail.outbox if m.to == ["ann@example.com"]]
        day, time = self.deadline_text(reminded_lobby, "fr")
        assert f"{day} à {time}" in message.body


@pytest.mark.django_db
def test_settings_say_who_gets_reminders_and_how_many(reminded_lobby, people, client):
    code = reminded_lobby
    join(code, "Ann", people("ann").pk)
    join(code, "Bob", people("bob", verified=False).pk)
    join(code, "Guest", None)
    olivia = get_user_model().objects.get(username="olivia")
    client.force_login(olivia)
    owner = next(p for p in load_lobby(code).participants.values() if p.user_id == olivia.pk)
    seat_client(client, code, owner)
    page = client.get(reverse("lobbies:edit", args=[code])).content.decode()
    assert "signed in, with a verified email address, and have not answered yet" in page
    assert "Right now that is 2 people." in page
