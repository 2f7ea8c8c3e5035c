"""Every link in every email the app sends is a full address: a mail reader has no page to
resolve a bare path against. Each sender is driven the way it runs for real (a request, or
an operator's command with no request at all)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from letshangout.management.commands.dev import dev_site_url
from lobbies import services as lobby_services
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import (
    evening_window,
    mark,
    pass_deadline,
    propose,
    reload,
    set_lobby,
    slots,
)

PASSWORD = "a long and unusual passphrase"
HREF = re.compile(r"""href=["']([^"']*)["']""")
# A path standing alone: "/l/ABC/" or "/accounts/login/?next=…", not "Europe/Berlin" or "</p>".
BARE_PATH = re.compile(r"(?<![\w/:.<\-])/[\w\-.~%]+[\w\-.~%/]*(?:\?\S*)?")
FULL = re.compile(r"https?://[^\s\"'<>]+")


def texts_of(message) -> list[str]:
    return [message.body, *(content for content, _type in getattr(message, "alternatives", []))]


def relative_links(message) -> list[str]:
    found = []
    for text in texts_of(message):
        found += [href for href in HREF.findall(text) if not FULL.fullmatch(href)]
        found += BARE_PATH.findall(FULL.sub("", text))
    return found


def assert_all_links_absolute(messages) -> None:
    assert messages, "no email was sent"
    for message in messages:
        assert relative_links(message) == [], message.subject
        assert any(FULL.search(text) for text in texts_of(message)), message.subject


@pytest.fixture
def make_user(django_user_model):
    def make(email: str):
        user = django_user_model.objects.create_user(
            username=email.split("@")[0], email=email, password=PASSWORD
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def lobby(db, make_user):
    """Olivia's lobby with Ann in it, both signed in with verified addresses."""
    olivia, ann = make_user("olivia@example.com"), make_user("ann@example.com")
    owner = lobby_services.create_lobby(
        make_settings(auto_settle=True, notify_owner_all_answered=True), "Olivia", olivia.pk
    ).participant
    code = owner.code
    ann_seat = lobby_services.join_lobby(reload(code), "Ann", ann.pk).participant
    return {"code": code, "owner": owner, "ann": ann_seat, "olivia": olivia}


@pytest.mark.django_db
def test_settled_by_the_organizer(lobby):
    client = Client()
    client.force_login(lobby["olivia"])
    seat_client(client, lobby["code"], lobby["owner"])
    window = evening_window(reload(lobby["code"]), 0, 19)
    client.post(reverse("voting:settle", args=[lobby["code"]]), {"window": window, "place": ""})
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_settled_by_the_operators_command(lobby):
    start = evening_window(reload(lobby["code"]), 0, 19)
    for seat in (lobby["owner"], lobby["ann"]):
        mark(lobby["code"], seat.participant_id, yes=slots(start, 4))
    mail.outbox.clear()
    pass_deadline(lobby["code"])
    call_command("settle_due_lobbies", stdout=StringIO())
    assert len(mail.outbox) == 2
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_everyone_has_answered(lobby):
    code = lobby["code"]
    start = evening_window(reload(code), 0, 19)
    mark(code, lobby["owner"].participant_id, yes=slots(start, 4))
    place = propose(code, lobby["owner"].participant_id, "Pizza")
    vote_url = reverse("voting:vote", args=[code, place.place_id])
    mark(code, lobby["ann"].participant_id, yes=slots(start, 4))
    client = Client()
    seat_client(client, code, lobby["ann"])
    client.post(vote_url, {"value": "yes"})
    owner_client = Client()
    seat_client(owner_client, code, lobby["owner"])
    owner_client.post(vote_url, {"value": "yes"})
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]]
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_reminder(lobby):
    deadline = (datetime.now(UTC) + timedelta(hours=10)).replace(microsecond=0)
    set_lobby(lobby["code"], deadline=deadline, remind_hours=24, remind_at=deadline - timedelta(1))
    call_command("send_reminders", stdout=StringIO())
    assert len(mail.outbox) == 2
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_sign_up_confirmation(client):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_password_reset(client, make_user):
    make_user("ann@example.com")
    client.post(reverse("account_reset_password"), {"email": "ann@example.com"})
    assert_all_links_absolute(mail.outbox)


@pytest.mark.django_db
def test_sign_in_code_has_no_bare_path(client, make_user):
    make_user("ann@example.com")
    client.post(reverse("account_request_login_code"), {"email": "ann@example.com"})
    assert len(mail.outbox) == 1
    assert relative_links(mail.outbox[0]) == []


def test_the_check_itself_catches_a_bare_path():
    bare = mail.EmailMessage("s", "Open /accounts/login/?next=/l/ABC/ (Europe/Berlin)", to=["a@b"])
    full = mail.EmailMessage("s", "Open http://testserver/l/ABC/ (Europe/Berlin)", to=["a@b"])
    assert relative_links(bare) == ["/accounts/login/?next=/l/ABC/"]
    assert relative_links(full) == []


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),
        ("9000", "http://127.0.0.1:9000"),
        ("[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_make_run_links_to_the_address_it_serves_at(addrport, expected):
    assert dev_site_url(addrport) == expected


def test_development_has_a_full_site_address_by_default(settings):
    assert FULL.fullmatch(settings.SITE_URL)
