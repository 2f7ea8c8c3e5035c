"""Emails: "it's settled" with the event attached, the opt-out, "everyone has answered",
and a failing mail server never failing the action."""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from letshangout.emulator.local import free_port
from lobbies import services as lobby_services
from lobbies.availability.answers import grid_key, spec_for
from lobbies.entities import Participant
from lobbies.signals import answered
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, propose, reload, slots, vote
from voting import decisions, services
from voting.emails import notifications, recipients


class ExplodingBackend(BaseEmailBackend):
    """A mail backend that fails the way a broken configuration or library would."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server is down")


@pytest.fixture
def make_user(django_user_model):
    def make(email: str, verified: bool = True, primary: bool = True):
        user = django_user_model.objects.create_user(
            username=email.split("@")[0], email=email, password="correct horse battery"
        )
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=primary)
        return user

    return make


@pytest.fixture
def people(db, make_user):
    """Olivia (organizer, verified), Ann (verified), Vic (unverified), Gus (guest)."""
    olivia = make_user("olivia@example.com")
    ann = make_user("ann@example.com")
    vic = make_user("vic@example.com", verified=False)
    membership = lobby_services.create_lobby(make_settings(), "Olivia", olivia.pk)
    code = membership.participant.code
    organizer_client = Client()
    organizer_client.force_login(olivia)
    seat_client(organizer_client, code, membership.participant)
    joined = {}
    for name, user in (("Ann", ann), ("Vic", vic), ("Gus", None)):
        joined[name] = lobby_services.join_lobby(
            reload(code), name, user.pk if user else None
        ).participant
    return {
        "code": code,
        "owner": membership.participant,
        "organizer_client": organizer_client,
        "olivia": olivia,
        "ann": ann,
        "vic": vic,
        **joined,
    }


def settle_url(code: str) -> str:
    return reverse("voting:settle", args=[code])


def settle_by_view(people, place_id: str = "") -> object:
    snapshot = reload(people["code"])
    return people["organizer_client"].post(
        settle_url(people["code"]),
        {"window": evening_window(snapshot, 0, 19), "place": place_id},
    )


@pytest.mark.django_db
class TestSettledEmail:
    def test_verified_signed_in_participants_get_it_with_the_event(self, people):
        place = propose(people["code"], people["owner"].participant_id, "Café Rouge")
        response = settle_by_view(people, place.place_id)
        assert response.status_code == HTTPStatus.FOUND
        assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "olivia@example.com"]
        message = next(m for m in mail.outbox if m.to == ["ann@example.com"])
        assert message.subject == "It's settled: Friday drinks"
        assert "Hi Ann," in message.body
        assert "Café Rouge" in message.body
        assert "(Europe/Berlin)" in message.body
        assert f"{settings.SITE_URL}/l/{people['code']}/" in message.body
        assert "calendar.google.com" in message.body
        (attachment,) = message.attachments
        assert attachment.filename == f"{people['code'].lower()}.ics"
        assert attachment.mimetype == "text/calendar"
        (event,) = Calendar.from_ical(attachment.content).walk("VEVENT")
        decision = reload(people["code"]).lobby.decision
        assert event.decoded("DTSTART") == decision.starts_at
        assert str(event["LOCATION"]) == "Café Rouge"
        page = people["organizer_client"].get(response["Location"]).content.decode()
        assert "2 got an email" in page

    def test_each_email_has_one_recipient(self, people):
        settle_by_view(people)
        assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)

    def test_opted_out_participants_get_nothing(self, people):
        ann_client = Client()
        ann_client.force_login(people["ann"])
        seat_client(ann_client, people["code"], people["Ann"])
        response = ann_client.post(
            reverse("voting:notifications", args=[people["code"]]), {"notify_settled": ""}
        )
        assert response.status_code == HTTPStatus.FOUND
        stored = Participant.get(*Participant.key_for(people["code"], people["Ann"].participant_id))
        assert stored.notify_settled is False
        settle_by_view(people)
        assert [m.to for m in mail.outbox] == [["olivia@example.com"]]

    def test_toggle_back_on(self, people):
        client = people["organizer_client"]
        url = reverse("voting:notifications", args=[people["code"]])
        client.post(url, {"notify_settled": ""})
        client.post(url, {"notify_settled": "on"})
        owner = Participant.get(
            *Participant.key_for(people["code"], people["owner"].participant_id)
        )
        assert owner.notify_settled is True

    def test_page_offers_the_toggle_to_signed_in_people_only(self, people):
        body = (
            people["organizer_client"]
            .get(reverse("lobbies:detail", args=[people["code"]]))
            .content.decode()
        )
        assert "You will get an email when this lobby is settled." in body
        assert reverse("voting:notifications", args=[people["code"]]) in body
        guest = Client()
        seat_client(guest, people["code"], people["Gus"])
        guest_body = guest.get(reverse("lobbies:detail", args=[people["code"]])).content.decode()
        assert "to get an email with the event" in guest_body
        assert reverse("voting:notifications", args=[people["code"]]) not in guest_body

    def test_outsider_cannot_toggle(self, people):
        response = Client().post(
            reverse("voting:notifications", args=[people["code"]]), {"notify_settled": ""}
        )
        assert response.status_code == HTTPStatus.NOT_FOUND

    def test_unverified_address_is_pointed_out(self, people):
        vic_client = Client()
        vic_client.force_login(people["vic"])
        seat_client(vic_client, people["code"], people["Vic"])
        body = vic_client.get(reverse("lobbies:detail", args=[people["code"]])).content.decode()
        assert "Verify your email address to receive it." in body

    def test_failing_mail_backend_never_fails_settling(self, people, settings, caplog):
        settings.MAILERS = {"default": {"BACKEND": "tests.test_notifications.ExplodingBackend"}}
        with caplog.at_level(logging.ERROR, logger="voting.emails.notifications"):
            response = settle_by_view(people)
        assert response.status_code == HTTPStatus.FOUND
        assert reload(people["code"]).lobby.status == "settled"
        assert "sending the settled emails failed" in caplog.text
        page = people["organizer_client"].get(response["Location"]).content.decode()
        assert "Settled! Everyone sees the time and place on the lobby page." in page

    def test_unreachable_smtp_server_never_fails_settling(self, people, settings, caplog):
        settings.MAILERS = {
            "default": {
                "BACKEND": "letshangout.mail.ResilientSMTPBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 1},
            }
        }
        with caplog.at_level(logging.ERROR):
            response = settle_by_view(people)
        assert response.status_code == HTTPStatus.FOUND
        assert reload(people["code"]).lobby.status == "settled"
        assert "sending email failed" in caplog.text

    def test_a_broken_email_template_is_logged_not_raised(self, people, monkeypatch, caplog):
        def broken(*args, **kwargs):
            raise RuntimeError("template exploded")

        monkeypatch.setattr(notifications, "render_to_string", broken)
        snapshot = reload(people["code"])
        decisions.settle(snapshot, people["owner"].participant_id, 0, None)
        with caplog.at_level(logging.ERROR, logger="voting.emails.notifications"):
            assert notifications.send_settled(reload(people["code"]), "http://x/") == 0
        assert "template exploded" in caplog.text

    def test_nothing_is_sent_for_an_open_lobby(self, people):
        assert notifications.send_settled(reload(people["code"]), "http://x/") == 0
        assert mail.outbox == []


def answer_everything(code: str, participant_id: str, place_ids) -> None:
    snapshot = reload(code)
    start = evening_window(snapshot, 0, 19)
    mark(code, participant_id, yes=slots(start, 4))
    for place_id in place_ids:
        vote(code, participant_id, place_id, "yes")


@pytest.mark.django_db
class TestEveryoneAnsweredEmail:
    @pytest.fixture
    def lobby_with_notice(self, db, make_user):
        olivia = make_user("olivia@example.com")
        membership = lobby_services.create_lobby(
            make_settings(notify_owner_all_answered=True), "Olivia", olivia.pk
        )
        code = membership.participant.code
        ann = lobby_services.join_lobby(reload(code), "Ann", None).participant
        ann_client = Client()
        seat_client(ann_client, code, ann)
        place = propose(code, membership.participant.participant_id, "Pizza")
        return code, membership.participant, ann, ann_client, place

    def test_sent_once_when_the_last_person_answers(self, lobby_with_notice):
        code, owner, ann, ann_client, place = lobby_with_notice
        answer_everything(code, owner.participant_id, [place.place_id])
        mark(code, ann.participant_id, yes=slots(evening_window(reload(code), 0, 19), 4))
        assert mail.outbox == []  # Ann has not voted on the place yet
        url = reverse("voting:vote", args=[code, place.place_id])
        ann_client.post(url, {"value": "maybe"})
        assert len(mail.outbox) == 1
        (message,) = mail.outbox
        assert message.to == ["olivia@example.com"]
        assert message.subject == "Everyone has answered: Friday drinks"
        assert "All 2 people" in message.body
        assert reload(code).lobby.all_answered_notified_at is not None
        ann_client.post(url, {"value": "yes"})
        assert len(mail.outbox) == 1

    def test_not_sent_when_the_organizer_did_not_ask(self, make_user):
        olivia = make_user("olivia@example.com")
        membership = lobby_services.create_lobby(make_settings(), "Olivia", olivia.pk)
        code = membership.participant.code
        ann = lobby_services.join_lobby(reload(code), "Ann", None).participant
        answer_everything(code, membership.participant.participant_id, [])
        answer_everything(code, ann.participant_id, [])
        assert notifications.notify_if_all_answered(code, "http://x/") is False
        assert mail.outbox == []

    def test_concurrent_last_answers_send_exactly_one(self, lobby_with_notice, monkeypatch):
        code, owner, ann, _ann_client, place = lobby_with_notice
        # SQLite's in-memory test database cannot be read from several threads at once; the
        # race under test is DynamoDB's, so the address lookup is answered from memory.
        monkeypatch.setattr(
            recipients, "verified_emails", lambda ids: {owner.user_id: "olivia@example.com"}
        )
        # The answers go in without their own notice, so that only the racing checks send it.
        answered.disconnect(notifications.tell_organizer_once_all_answered)
        try:
            answer_everything(code, owner.participant_id, [place.place_id])
            answer_everything(code, ann.participant_id, [place.place_id])
        finally:
            answered.connect(notifications.tell_organizer_once_all_answered)
        barrier = threading.Barrier(6)
        results = []

        def check():
            barrier.wait()
            results.append(notifications.notify_if_all_answered(code, "http://x/"))

        threads = [threading.Thread(target=check) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True]
        assert len(mail.outbox) == 1

    def test_a_lone_organizer_is_not_everyone(self, make_user):
        olivia = make_user("olivia@example.com")
        membership = lobby_services.create_lobby(
            make_settings(notify_owner_all_answered=True), "Olivia", olivia.pk
        )
        code = membership.participant.code
        answer_everything(code, membership.participant.participant_id, [])
        assert notifications.notify_if_all_answered(code, "http://x/") is False

    def test_failing_mail_is_logged_and_the_vote_still_counts(
        self, lobby_with_notice, settings, caplog
    ):
        settings.MAILERS = {"default": {"BACKEND": "tests.test_notifications.ExplodingBackend"}}
        code, owner, ann, ann_client, place = lobby_with_notice
        answer_everything(code, owner.participant_id, [place.place_id])
        mark(code, ann.participant_id, yes=slots(evening_window(reload(code), 0, 19), 4))
        with caplog.at_level(logging.ERROR, logger="voting.emails.notifications"):
            response = ann_client.post(
                reverse("voting:vote", args=[code, place.place_id]), {"value": "yes"}
            )
        assert response.status_code == HTTPStatus.FOUND
        assert services.votes_of(
            Participant.get(*Participant.key_for(code, ann.participant_id))
        ) == {place.place_id: "yes"}
        assert "everyone-has-answered check failed" in caplog.text


@pytest.mark.django_db
def test_everyone_answered_when_the_last_person_saves_their_times(make_user):
    olivia = make_user("olivia@example.com")
    membership = lobby_services.create_lobby(
        make_settings(notify_owner_all_answered=True), "Olivia", olivia.pk
    )
    code = membership.participant.code
    ann = lobby_services.join_lobby(reload(code), "Ann", None).participant
    answer_everything(code, membership.participant.participant_id, [])
    ann_client = Client()
    seat_client(ann_client, code, ann)
    snapshot = reload(code)
    spec = spec_for(snapshot.lobby)
    start = evening_window(snapshot, 0, 19)
    response = ann_client.post(
        reverse("lobbies:availability", args=[code]),
        {
            "participant": ann.participant_id,
            "grid": grid_key(spec),
            "day": "0",
            "y": [str(slot) for slot in slots(start, 4)],
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]]
