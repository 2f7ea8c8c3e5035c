"""Friendly 400, 403, 404, 429, 500 and 503 pages in the site's look, with no internals."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import path, reverse

from hangout import urls as site_urls
from hangout import views as site_views
from tests.test_logging import boom

urlpatterns = [path("l/<str:code>/boom/", boom, name="boom"), *site_urls.urlpatterns]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

INTERNALS = [
    "Traceback",
    "Exception",
    "RuntimeError",
    "DisallowedHost",
    "PynamoDB",
    "botocore",
    "ALLOWED_HOSTS",
    "settings.py",
    ".py",
    "/work/",
    "kaput",
    "DEBUG",
]


def assert_friendly(response, status: int, heading: str) -> str:
    assert response.status_code == status
    body = response.content.decode()
    assert heading in body
    assert "css/app.css" in body  # the site's stylesheet and layout, not a bare page
    assert 'class="site-header"' in body
    assert f'href="{reverse("lobbies:home")}"' in body
    for leak in INTERNALS:
        assert leak not in body, leak
    return body


def test_400_bad_host(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    assert_friendly(response, HTTPStatus.BAD_REQUEST, "That request did not make sense")
    assert "evil.example" not in response.content.decode()


def test_403_not_the_organizer(lobby, join_as):
    participant, _ = join_as(lobby, "Pat")
    response = participant.get(reverse("lobbies:edit", args=[lobby.code]))
    body = assert_friendly(response, HTTPStatus.FORBIDDEN, "You can't do that here")
    assert "Only the organizer can do that." in body


def test_403_expired_form(db):
    response = Client(enforce_csrf_checks=True).post(reverse("lobbies:create"), {"title": "x"})
    body = assert_friendly(response, HTTPStatus.FORBIDDEN, "That form could not be sent")
    assert "CSRF verification" not in body and "Referer" not in body


def test_404_unknown_page_and_unknown_lobby(client, db):
    assert_friendly(client.get("/no/such/page/"), HTTPStatus.NOT_FOUND, "We couldn't find that")
    body = assert_friendly(
        client.get(reverse("lobbies:detail", args=["ZZZZ9999"])),
        HTTPStatus.NOT_FOUND,
        "We couldn't find that",
    )
    assert "There is no lobby with that code." in body
    assert "ZZZZ9999" not in body


def test_429_says_when_to_retry(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (1, 60)}
    client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    response = client.get(reverse("lobbies:find"), {"code": "ZZZZ-ZZZZ"})
    assert_friendly(response, HTTPStatus.TOO_MANY_REQUESTS, "Too many tries")
    assert 0 < int(response["Retry-After"]) <= 120  # the true wait of a sliding minute


@pytest.mark.urls("tests.test_security_pages")
def test_500_hides_the_error(lobby):
    response = Client(raise_request_exception=False).get(f"/l/{lobby.code}/boom/")
    assert_friendly(response, HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong on our side")


@pytest.mark.urls("tests.test_security_pages")
def test_500_still_answers_when_the_page_itself_fails(lobby, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database is gone too")

    monkeypatch.setattr(site_views, "_error_page", broken)
    response = Client(raise_request_exception=False).get(f"/l/{lobby.code}/boom/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "css/app.css" in body
    assert "database is gone" not in body and "Traceback" not in body


def test_503_when_dynamodb_is_down_then_recovery(organizer_client, lobby, dynamodb_outage):
    url = reverse("lobbies:detail", args=[lobby.code])
    with dynamodb_outage():
        down = organizer_client.get(url)
        create = organizer_client.post(reverse("lobbies:create"), {"title": "x"})
    assert_friendly(down, HTTPStatus.SERVICE_UNAVAILABLE, "having trouble right now")
    assert int(down["Retry-After"]) > 0
    assert create.status_code in (HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.BAD_REQUEST)
    back = organizer_client.get(url)
    assert back.status_code == HTTPStatus.OK
    assert lobby.lobby.title in back.content.decode()


def test_503_for_staff_in_the_admin_too(db, django_user_model, dynamodb_outage):
    staff = django_user_model.objects.create_user(
        username="root", email="root@example.com", password="pw", is_staff=True
    )
    client = Client()
    client.force_login(staff)
    with dynamodb_outage():
        response = client.get(reverse("admin:lobbies_lobby_changelist"))
    assert_friendly(response, HTTPStatus.SERVICE_UNAVAILABLE, "having trouble right now")
    assert client.get(reverse("admin:lobbies_lobby_changelist")).status_code == HTTPStatus.OK
