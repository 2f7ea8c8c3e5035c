"""A guest's email address in a lobby: saving it, confirming it from the email, the settled
email it then gets (in the guest's language, with the event), the one-click unsubscribe on
every lobby email, and what nobody else can see or do with it."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.entities import Lobby
from tests.conftest import seat_client
from tests.test_email_links import assert_all_links_absolute
from tests.voting_support import evening_window, reload, set_lobby
from voting.emails import guest_email
from voting.emails.recipients import address_digest

ADDRESS = "gus@example.com"
LINK = re.compile(r"https?://\S+/email/confirm/\S+/")


def save_url(code: str) -> str:
    return reverse("voting:guest_email", args=[code])


def stored(code: str, participant_id: str):
    return reload(code).participant(participant_id)


def leave_address(client: Client, code: str, address: str = ADDRESS, **headers):
    return client.post(save_url(code), {"email": address}, **headers)


def confirmation_link(message) -> str:
    return LINK.search(message.body).group(0)


def confirm(link: str) -> None:
    """Open the link in another browser (a mail reader's), and press Confirm."""
    reader = Client(enforce_csrf_checks=True)
    page = reader.get(link)
    assert page.status_code == HTTPStatus.OK
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert reader.post(link, {"csrfmiddlewaretoken": token.group(1)}).status_code == HTTPStatus.OK


def settle(organizer_client: Client, code: str) -> None:
    window = evening_window(reload(code), 0, 19)
    response = organizer_client.post(
        reverse("voting:settle", args=[code]), {"window": window, "place": ""}
    )
    assert response.status_code == HTTPStatus.FOUND


def unsubscribe_link(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    return re.match(r"<(https?://[^>]+)>, <mailto:[^>]+>", header).group(1)


@pytest.fixture
def guest(lobby, join_as):
    client, participant = join_as(lobby, "Gus")
    return client, participant


@pytest.mark.django_db
def test_guest_journey_in_german(lobby, guest, organizer_client):
    client, gus = guest
    code = lobby.code
    response = leave_address(client, code, "Gus@Example.COM", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == HTTPStatus.FOUND
    (verification,) = mail.outbox
    assert verification.to == ["Gus@example.com"]  # the domain's case does not matter
    assert_all_links_absolute([verification])
    assert stored(code, gus.participant_id).guest_email_verified_at is None
    link = confirmation_link(verification)
    mail.outbox.clear()

    # A mail scanner fetching the link confirms nothing; pressing the button does.
    assert Client().get(link).status_code == HTTPStatus.OK
    assert stored(code, gus.participant_id).guest_email_verified_at is None
    confirm(link)
    assert stored(code, gus.participant_id).verified_guest_email == "Gus@example.com"

    settle(organizer_client, code)
    (settled,) = mail.outbox
    assert settled.to == ["Gus@example.com"]
    assert settled.subject.startswith("Es steht fest:")
    assert settled.body.startswith("Hallo Gus,")
    (attachment,) = settled.attachments
    assert attachment[0].endswith(".ics") and "BEGIN:VCALENDAR" in attachment[1]
    assert settled.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert_all_links_absolute([settled])

    # The mail reader's one click: a bare POST, no cookie, no CSRF token.
    one_click = Client(enforce_csrf_checks=True)
    url = unsubscribe_link(settled)
    response = one_click.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == HTTPStatus.OK
    after = stored(code, gus.participant_id)
    assert after.guest_email is None and after.guest_email_verified_at is None


@pytest.mark.django_db
def test_nothing_is_sent_before_the_address_is_confirmed(lobby, guest, organizer_client):
    client, _gus = guest
    leave_address(client, lobby.code)
    mail.outbox.clear()
    settle(organizer_client, lobby.code)
    assert mail.outbox == []


@pytest.mark.django_db
def test_changing_the_address_restarts_verification(lobby, guest):
    client, gus = guest
    leave_address(client, lobby.code)
    first_link = confirmation_link(mail.outbox[0])
    leave_address(client, lobby.code, "other@example.com")
    opened = Client().get(first_link)  # says so at once, with no button to press
    assert opened.status_code == HTTPStatus.BAD_REQUEST
    assert "no longer saved" in opened.content.decode()
    token = first_link.rstrip("/").rsplit("/", 1)[1]
    carried = signing.TimestampSigner(salt=guest_email.VERIFY_SALT).unsign_object(token)
    assert ADDRESS not in str(carried)  # a digest: links end up in logs and histories
    confirm_page = Client().post(first_link)
    assert confirm_page.status_code == HTTPStatus.BAD_REQUEST
    assert "no longer saved" in confirm_page.content.decode()
    assert stored(lobby.code, gus.participant_id).guest_email_verified_at is None
    confirm(confirmation_link(mail.outbox[1]))
    assert stored(lobby.code, gus.participant_id).verified_guest_email == "other@example.com"


@pytest.mark.django_db
def test_a_guest_can_remove_the_address_with_htmx(lobby, guest):
    client, gus = guest
    leave_address(client, lobby.code)
    response = client.post(
        reverse("voting:guest_email_remove", args=[lobby.code]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == HTTPStatus.OK
    assert 'id="guest-email"' in response.content.decode()
    assert stored(lobby.code, gus.participant_id).guest_email is None


@pytest.mark.django_db
def test_htmx_save_returns_the_block(lobby, guest):
    client, _gus = guest
    response = leave_address(client, lobby.code, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in body and ADDRESS in body


@pytest.mark.django_db
def test_an_invalid_address_gets_a_message(lobby, guest):
    client, gus = guest
    response = leave_address(client, lobby.code, "not an address")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "valid email address" in response.content.decode()
    assert mail.outbox == []
    assert stored(lobby.code, gus.participant_id).guest_email is None


@pytest.mark.django_db
def test_the_lobby_page_offers_the_form_to_guests(lobby, guest):
    client, _gus = guest
    body = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    assert f'action="{save_url(lobby.code)}"' in body
    assert 'autocomplete="email"' in body and 'for="guest_email"' in body


@pytest.mark.django_db
def test_outsiders_cannot_set_an_address(lobby):
    response = leave_address(Client(), lobby.code)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert mail.outbox == []
    assert all(p.guest_email is None for p in reload(lobby.code).participants.values())


@pytest.mark.django_db
def test_an_account_holder_keeps_the_switch(lobby, user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    membership = services.join_lobby(reload(lobby.code), "Sam", user.pk)
    client = Client()
    client.force_login(user)
    seat_client(client, lobby.code, membership.participant)
    assert save_url(lobby.code) not in client.get(reverse("lobbies:detail", args=[lobby.code]))
    response = leave_address(client, lobby.code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "account" in response.content.decode()
    assert stored(lobby.code, membership.participant.participant_id).guest_email is None


@pytest.mark.django_db
def test_an_account_holder_unsubscribes_with_one_click(lobby, user, organizer_client):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    sam = services.join_lobby(reload(lobby.code), "Sam", user.pk).participant
    settle(organizer_client, lobby.code)
    (settled,) = mail.outbox
    assert settled.to == [user.email]
    url = unsubscribe_link(settled)
    confirm_page = Client().get(url)
    assert confirm_page.status_code == HTTPStatus.OK
    assert stored(lobby.code, sam.participant_id).notify_settled is True
    assert Client(enforce_csrf_checks=True).post(url).status_code == HTTPStatus.OK
    assert stored(lobby.code, sam.participant_id).notify_settled is False


@pytest.mark.django_db
def test_nothing_stays_after_the_lobby_is_deleted(lobby, guest, organizer_client):
    client, _gus = guest
    leave_address(client, lobby.code)
    confirm(confirmation_link(mail.outbox[0]))
    response = organizer_client.post(reverse("lobbies:delete", args=[lobby.code]))
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.OK)
    assert list(Lobby.collection(lobby.code, consistent=True)) == []


@pytest.mark.django_db
def test_exports_show_the_address_only_to_its_owner(lobby, guest, organizer_client):
    client, _gus = guest
    leave_address(client, lobby.code)
    mine = client.get(reverse("lobbies:export_mine", args=[lobby.code, "json"]))
    assert json.loads(mine.content)["you"]["email"] == ADDRESS
    mine_csv = client.get(reverse("lobbies:export_mine", args=[lobby.code, "csv"]))
    assert ADDRESS in mine_csv.content.decode("utf-8-sig")
    for fmt in ("json", "csv"):
        whole = organizer_client.get(reverse("lobbies:export_lobby", args=[lobby.code, fmt]))
        assert whole.status_code == HTTPStatus.OK
        assert ADDRESS not in whole.content.decode("utf-8-sig")
    page = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert ADDRESS not in page.content.decode()


def expired_token(code: str, participant_id: str) -> str:
    signer = signing.TimestampSigner(salt=guest_email.VERIFY_SALT)
    four_days_ago = int(time.time()) - 4 * 24 * 3600
    signer.timestamp = lambda: signing.b62_encode(four_days_ago)
    payload = {"c": code, "p": participant_id, "h": address_digest(ADDRESS)}
    return signer.sign_object(payload, compress=True)


@pytest.mark.django_db
def test_expired_tampered_and_orphaned_links_get_a_message(lobby, guest):
    client, gus = guest
    leave_address(client, lobby.code)
    link = confirmation_link(mail.outbox[0])
    expired = reverse("voting:confirm_email", args=[expired_token(lobby.code, gus.participant_id)])
    cases = {
        expired: "expired",
        link[:-3] + "xx/": "not valid",
        reverse("voting:confirm_email", args=["garbage"]): "not valid",
        reverse("voting:unsubscribe", args=["garbage"]): "not valid",
    }
    for url, words in cases.items():
        for method in (Client().get, Client().post):
            response = method(url)
            assert response.status_code == HTTPStatus.BAD_REQUEST, url
            assert words in response.content.decode(), url
    client.post(reverse("lobbies:leave", args=[lobby.code]))
    response = Client().post(link)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "no longer in the lobby" in response.content.decode()


@pytest.mark.django_db
def test_a_replayed_link_changes_nothing(lobby, guest):
    client, gus = guest
    leave_address(client, lobby.code)
    link = confirmation_link(mail.outbox[0])
    confirm(link)
    first = stored(lobby.code, gus.participant_id).guest_email_verified_at
    confirm(link)
    assert stored(lobby.code, gus.participant_id).guest_email_verified_at == first


@pytest.mark.django_db
def test_verification_emails_are_rate_limited_per_address(lobby, guest, join_as, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "guest_email_address": (1, 3600)}
    client, _gus = guest
    assert leave_address(client, lobby.code).status_code == HTTPStatus.FOUND
    other_client, _other = join_as(lobby, "Ivy")
    refused = leave_address(other_client, lobby.code)
    body = refused.content.decode()
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(refused["Retry-After"]) > 0
    assert f'value="{ADDRESS}"' in body and "Wait" in body
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_verification_emails_are_rate_limited_per_lobby(lobby, guest, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "guest_email_lobby": (2, 3600)}
    client, _gus = guest
    for n in range(2):
        leave_address(client, lobby.code, f"gus{n}@example.com")
    refused = leave_address(client, lobby.code, "gus9@example.com", HTTP_HX_REQUEST="true")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 'value="gus9@example.com"' in refused.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_confirmed_guest_gets_the_reminder_with_a_link_to_the_lobby(lobby, guest, join_as):
    client, gus = guest
    _ivy_client, ivy = join_as(lobby, "Ivy")
    leave_address(client, lobby.code, HTTP_ACCEPT_LANGUAGE="de")
    confirm(confirmation_link(mail.outbox[0]))
    leave_address(_ivy_client, lobby.code, "ivy@example.com")  # never confirmed
    mail.outbox.clear()
    deadline = (datetime.now(UTC) + timedelta(hours=10)).replace(microsecond=0)
    set_lobby(lobby.code, deadline=deadline, remind_hours=24, remind_at=deadline - timedelta(1))
    call_command("send_reminders", stdout=StringIO())
    (reminder,) = mail.outbox
    assert reminder.to == [ADDRESS]
    assert reminder.body.startswith("Hallo Gus,")
    assert f"/l/{lobby.code}/" in reminder.body and "/accounts/login/" not in reminder.body
    assert "List-Unsubscribe" in reminder.extra_headers
    assert_all_links_absolute([reminder])
    assert stored(lobby.code, ivy.participant_id).reminded_at is None
