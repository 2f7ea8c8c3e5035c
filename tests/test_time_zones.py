"""Times are right in every zone: deadlines keep their wall-clock time through any number of
saves (east and west of UTC, across DST), are bounded by the last candidate day, the settled
email speaks the lobby's zone, a new joiner sees their own zone at once, and DST rows are
labelled in the viewer's terms."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from lobbies import services
from lobbies.availability.grid import GridSpec
from lobbies.availability.layout import view_grid
from lobbies.forms import CreateLobbyForm, EditLobbyForm, LobbyForm
from lobbies.page.labels import TZ_COOKIE, row_label
from lobbies.store import load_lobby
from tests.conftest import seat_client
from tests.factories import make_settings

# Candidate days that hold a DST change, within the year a lobby may plan ahead.
EU_SPRING = date(2027, 3, 28)  # Europe/Berlin: 02:00 -> 03:00
EU_AUTUMN = date(2027, 10, 31)  # Europe/Berlin: 03:00 -> 02:00
US_SPRING = date(2027, 3, 14)  # America/New_York: 02:00 -> 03:00


def payload_from_page(page: str, lobby, **overrides) -> dict:
    """What a browser sends back from the settings page as it was rendered."""
    data = {
        key: value
        for key, value in LobbyForm.initial_from(lobby).items()
        if value is not None and key not in {"days", "deadline"}
    }
    data["days"] = list(lobby.dates)
    for name in ("day_start", "day_end"):
        if isinstance(data.get(name), time):
            data[name] = data[name].strftime("%H:%M")
    for flag in ("whole_days", "auto_settle", "notify_owner_all_answered"):
        if not data.get(flag):
            data.pop(flag, None)
    deadline = re.search(r'name="deadline" value="([^"]*)"', page)
    data["deadline"] = deadline.group(1) if deadline else ""
    data["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    data.update(overrides)
    return data


def organizer_in(tz: str, days: tuple[date, ...]):
    membership = services.create_lobby(make_settings(timezone=tz, dates=days), "Olivia", None)
    client = Client()
    seat_client(client, membership.participant.code, membership.participant)
    return client, membership.participant.code


def save_unchanged(client: Client, code: str) -> None:
    url = reverse("lobbies:edit", args=[code])
    page = client.get(url).content.decode()
    response = client.post(url, payload_from_page(page, load_lobby(code).lobby))
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tz", "days", "typed"),
    [
        ("Europe/Berlin", None, "20:00"),
        ("America/New_York", None, "20:00"),
        ("Pacific/Kiritimati", None, "23:30"),
        ("Europe/Berlin", (EU_SPRING - timedelta(days=1), EU_SPRING), "02:30"),
        ("Europe/Berlin", (EU_AUTUMN,), "02:30"),  # the first of the two 02:30s
        ("America/New_York", (US_SPRING, US_SPRING + timedelta(days=1)), "20:00"),
    ],
)
def test_a_deadline_keeps_its_wall_clock_time_through_saves(tz, days, typed):
    days = days or tuple(date.today() + timedelta(days=n) for n in (3, 4))
    client, code = organizer_in(tz, days)
    deadline_day = days[0] if typed != "02:30" or days[-1] == EU_AUTUMN else days[-1]
    typed_at = f"{deadline_day.isoformat()}T{typed}"
    url = reverse("lobbies:edit", args=[code])
    page = client.get(url).content.decode()
    response = client.post(url, payload_from_page(page, load_lobby(code).lobby, deadline=typed_at))
    if response.status_code != HTTPStatus.FOUND:
        # 02:30 on the spring-forward day does not exist in Berlin: refused, not moved.
        assert tz == "Europe/Berlin" and deadline_day == EU_SPRING
        assert "The clocks skip 02:30" in response.content.decode()
        return
    expected = datetime.fromisoformat(typed_at).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
    for _save in range(3):
        assert load_lobby(code).lobby.deadline == expected
        page = client.get(url).content.decode()
        assert f'name="deadline" value="{typed_at}"' in page
        save_unchanged(client, code)


@pytest.mark.django_db
def test_a_deadline_after_the_last_candidate_day_is_refused():
    days = tuple(date.today() + timedelta(days=n) for n in (3, 4))
    client, code = organizer_in("Pacific/Kiritimati", days)
    url = reverse("lobbies:edit", args=[code])
    page = client.get(url).content.decode()
    lobby = load_lobby(code).lobby
    for late in ("9999-12-31T23:59", f"{(days[-1] + timedelta(days=1)).isoformat()}T00:01"):
        response = client.post(url, payload_from_page(page, lobby, deadline=late))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "no later than the end of the last day" in response.content.decode()
    assert load_lobby(code).lobby.deadline is None
    # The end of the last day itself is fine, and the lobby and its settings still answer.
    last = f"{days[-1].isoformat()}T23:59"
    assert client.post(url, payload_from_page(page, lobby, deadline=last)).status_code == 302
    assert client.get(reverse("lobbies:detail", args=[code])).status_code == HTTPStatus.OK
    assert client.get(url).status_code == HTTPStatus.OK


def test_a_past_deadline_is_refused_on_create():
    start = date.today() + timedelta(days=2)
    form = CreateLobbyForm(
        {
            "title": "Picnic",
            "range_start": start.isoformat(),
            "range_end": start.isoformat(),
            "day_start": "18:00",
            "day_end": "22:00",
            "slot_minutes": "30",
            "meeting_minutes": "60",
            "timezone": "America/New_York",
            "deadline": (date.today() - timedelta(days=2)).isoformat() + "T20:00",
        }
    )
    assert not form.is_valid()
    assert "in the future" in str(form.errors["deadline"])


def test_the_create_form_does_not_offer_yesterday():
    today = date(2027, 5, 10)
    html = str(CreateLobbyForm(today=today)["days"])
    yesterday = re.search(r'value="2027-05-09"[^>]*>', html).group(0)
    assert "disabled" in yesterday
    assert "disabled" not in re.search(r'value="2027-05-10"[^>]*>', html).group(0)


@pytest.mark.django_db
def test_the_create_page_offers_days_from_the_visitors_today(client):
    client.cookies[TZ_COOKIE] = "Pacific/Kiritimati"
    page = client.get(reverse("lobbies:create")).content.decode()
    today_there = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    before = (today_there - timedelta(days=1)).isoformat()
    assert "disabled" in re.search(rf'value="{before}"[^>]*>', page).group(0)


def test_edit_form_keeps_an_untouched_deadline_in_the_lobbys_zone():
    # The field's value stays naive: the lobby's zone, not the server's, gives it meaning.
    form = EditLobbyForm(
        {
            "title": "Picnic",
            "days": [(date.today() + timedelta(days=3)).isoformat()],
            "day_start": "18:00",
            "day_end": "22:00",
            "slot_minutes": "30",
            "meeting_minutes": "60",
            "timezone": "America/New_York",
            "deadline": (date.today() + timedelta(days=2)).isoformat() + "T20:00",
            "remind_hours": "24",
            "version": "1",
        }
    )
    assert form.is_valid(), form.errors
    local = form.cleaned_data["deadline"].astimezone(ZoneInfo("America/New_York"))
    assert local.time() == time(20, 0)


# --- the settled email -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_settled_email_shows_the_lobbys_own_times(user, client):
    from allauth.account.models import EmailAddress

    from voting import decisions

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    day = date.today() + timedelta(days=3)
    membership = services.create_lobby(
        make_settings(title='Tom\'s "BBQ"', timezone="Europe/Berlin", dates=(day,)),
        "Tom",
        user.pk,
    )
    code = membership.participant.code
    client.force_login(user)
    seat_client(client, code, membership.participant)
    snapshot = load_lobby(code)
    # 19:00 in Berlin is slot 2 of an 18:00 start with 30-minute slots.
    decisions.settle(snapshot, membership.participant.participant_id, 2, None)
    from voting.emails import notifications

    sent = notifications.send_settled(load_lobby(code), "http://testserver/")
    assert sent == 1
    message = mail.outbox[-1]
    assert "19:00–21:00 (Europe/Berlin)" in message.body
    assert message.subject == "It's settled: Tom's \"BBQ\""


# --- a new joiner's zone -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_joiner_sees_their_browsers_zone_at_once(lobby):
    visitor = Client()
    url = reverse("lobbies:join", args=[lobby.code])
    response = visitor.post(url, {"display_name": "Nia", "tz": "America/New_York"})
    assert response.status_code == HTTPStatus.FOUND
    assert visitor.cookies[TZ_COOKIE].value == "America/New_York"
    page = visitor.get(response["Location"]).content.decode()
    assert 'data-viewer-tz="America/New_York"' in page
    assert "Times shown in America/New_York" in page


@pytest.mark.django_db
def test_a_joiner_without_a_zone_gets_the_organizers_and_is_told_so(lobby):
    visitor = Client()
    url = reverse("lobbies:join", args=[lobby.code])
    response = visitor.post(url, {"display_name": "Nia", "tz": "Mars/Olympus"})
    assert response.status_code == HTTPStatus.FOUND
    assert TZ_COOKIE not in visitor.cookies
    page = visitor.get(response["Location"]).content.decode()
    assert "Times shown in Europe/Berlin, the organizer’s time zone." in page


@pytest.mark.django_db
def test_a_zone_chosen_before_is_not_overwritten_by_joining(lobby):
    visitor = Client()
    visitor.cookies[TZ_COOKIE] = "Asia/Tokyo"
    url = reverse("lobbies:join", args=[lobby.code])
    visitor.post(url, {"display_name": "Nia", "tz": "America/New_York"})
    assert visitor.cookies[TZ_COOKIE].value == "Asia/Tokyo"


@pytest.mark.django_db
def test_the_join_form_carries_the_browsers_zone(client, lobby):
    page = client.get(reverse("lobbies:detail", args=[lobby.code])).content.decode()
    assert re.search(r'<input type="hidden" name="tz"[^>]*data-browser-zone', page)


# --- DST rows in the viewer's terms --------------------------------------------------------------


def test_a_skipped_lobby_hour_is_labelled_in_the_viewers_terms():
    spec = GridSpec((EU_SPRING,), 60, 4 * 60, 60, "Europe/Berlin")
    view = view_grid(spec, "America/New_York")
    labels = [row_label(row, False, spec) for row in view.rows]
    # Berlin's 02:00 does not exist that night; in New York it would be 21:00, beside the real
    # 21:00 (Berlin's 03:00). The label says what is skipped, where, in plain terms.
    skipped = [label for label, row in zip(labels, view.rows, strict=True) if row.skipped]
    assert skipped == ["21:00 (02:00 in Berlin, skipped there)"]
    assert "21:00" in labels
    assert not any("organizer" in label for label in labels)


def test_a_repeated_hour_in_the_viewers_zone_says_so():
    spec = GridSpec((date(2027, 11, 7),), 4 * 60, 8 * 60, 60, "UTC")
    labels = [row_label(row, False, spec) for row in view_grid(spec, "America/New_York").rows]
    assert "01:00 (second time, the clocks go back)" in labels
