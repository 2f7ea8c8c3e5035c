"""letshangout.sessions reads what Django's database sessions write, and nothing expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from letshangout.sessions import SessionStore
from lobbies import identity

pytestmark = pytest.mark.django_db


def saved_session(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_the_engine_in_use_is_this_one():
    assert settings.SESSION_ENGINE == "letshangout.sessions"


def test_a_saved_session_reads_back():
    key = saved_session(**{identity.SESSION_KEY: {"ABCDEFGH": "p1"}, "n": 3})
    store = SessionStore(key)
    assert store[identity.SESSION_KEY] == {"ABCDEFGH": "p1"} and store["n"] == 3
    assert store.session_key == key


def test_an_expired_or_unknown_session_reads_as_empty_and_is_not_reused():
    key = saved_session(n=1)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    expired = SessionStore(key)
    assert dict(expired.items()) == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.get("n") is None and unknown.session_key is None


def test_a_browser_keeps_its_seat_across_requests(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    assert isinstance(client.session, SessionStore)
    page = client.get(reverse("lobbies:detail", args=[lobby.code]))
    assert "Ann" in page.content.decode() and b"Leave this lobby" in page.content
