"""Sign-up, sign-in (password and emailed code), sign-out, password reset, email
verification, and guest seats claimed on sign-in."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from lobbies.store import load_lobby

PASSWORD = "a long and unusual passphrase"


def link_in(message) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


@pytest.mark.django_db
def test_signup_sends_verification_and_verifying_marks_the_address(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "ann@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    confirm = client.get(link_in(mail.outbox[0]))
    assert confirm.status_code == HTTPStatus.OK
    client.post(link_in(mail.outbox[0]))
    assert EmailAddress.objects.get(email="ann@example.com").verified


@pytest.mark.django_db
def test_signup_page_uses_the_site_look(client):
    response = client.get(reverse("account_signup"))
    content = response.content.decode()
    assert "css/app.css" in content
    assert 'class="site-header"' in content


@pytest.mark.django_db
def test_signin_and_signout(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("lobbies:mine")).status_code == HTTPStatus.OK
    client.post(reverse("account_logout"))
    assert client.get(reverse("lobbies:mine")).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_wrong_password_is_explained(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert "not correct" in response.content.decode()


@pytest.mark.django_db
def test_login_by_emailed_code(client, user):
    client.post(reverse("account_request_login_code"), {"email": user.email})
    assert len(mail.outbox) == 1
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[0].body, re.MULTILINE).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("lobbies:mine")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_password_reset(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    reset_page = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = (
        reset_page.redirect_chain[-1][0] if reset_page.redirect_chain else link_in(mail.outbox[0])
    )
    client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")


@pytest.mark.django_db
def test_guest_seats_are_claimed_on_sign_in(client, lobby, user):
    client.post(reverse("lobbies:join", args=[lobby.code]), {"display_name": "Sam"})
    assert client.get(reverse("lobbies:mine")).status_code == HTTPStatus.FOUND  # not signed in
    client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery"}
    )
    page = client.get(reverse("lobbies:mine")).content.decode()
    assert "Friday drinks" in page
    seat = load_lobby(lobby.code).participant_for_user(user.pk)
    assert seat is not None
    assert seat.display_name == "Sam"


@pytest.mark.django_db
def test_my_lobbies_empty_state(client, user):
    client.force_login(user)
    assert "No lobbies yet" in client.get(reverse("lobbies:mine")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_account_emails_are_from_letshangout_not_the_host(client, user, language):
    """allauth names the site after the request's host without the Sites framework."""
    headers = {"HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT_LANGUAGE": language}
    client.post(
        reverse("account_signup"),
        {"email": "ann@example.com", "password1": PASSWORD, "password2": PASSWORD},
        **headers,
    )
    client.post(reverse("account_reset_password"), {"email": user.email}, **headers)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        greeting, *_rest, thanks, _domain = message.body.strip().splitlines()
        assert "LetsHangOut" in greeting and "LetsHangOut" in thanks
        assert "127.0.0.1!" not in message.body
