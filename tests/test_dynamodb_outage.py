"""DynamoDB unreachable: a friendly 503 with Retry-After, and recovery without a restart."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_outage_gives_503_page_then_recovers(organizer_client, lobby, dynamodb_outage):
    url = reverse("lobbies:detail", args=[lobby.code])
    with dynamodb_outage():
        response = organizer_client.get(url)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response["Retry-After"]
        content = response.content.decode()
        assert "try again" in content
        assert "Traceback" not in content
    assert organizer_client.get(url).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_create_during_outage_is_503_not_500(client, dynamodb_down):
    response = client.post(
        reverse("lobbies:create"),
        {
            "title": "x",
            "timezone": "UTC",
            "day_start": "18:00",
            "day_end": "23:00",
            "slot_minutes": "30",
            "meeting_minutes": "60",
        },
    )
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


@pytest.mark.django_db
def test_signin_still_works_when_claiming_seats_fails(client, user, dynamodb_down):
    session = client.session
    session["lobby_seats"] = {"ABCDEFGH": "someone"}
    session.save()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == HTTPStatus.FOUND
