"""The recommended pair, the deadline lock, settling and reopening."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from lobbies import services as lobby_services
from lobbies.availability.answers import spec_for
from lobbies.entities import Lobby
from lobbies.errors import LobbyError, NotAllowed
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, mark, pass_deadline, propose, reload, slots, vote
from voting import decisions, services

BERLIN = ZoneInfo("Europe/Berlin")


def settle_url(code: str) -> str:
    return reverse("voting:settle", args=[code])


def lobby_page(client, code: str, **params) -> str:
    return client.get(reverse("lobbies:detail", args=[code]), params).content.decode()


@pytest.fixture
def answered(lobby, join_as):
    """Three people (Olivia organizes), two places, and availability where day 0 at 19:00 is
    best for all but Bob, and day 1 at 20:00 suits Bob and Ann."""
    owner = lobby.lobby.owner_id
    ann_client, ann = join_as(lobby, "Ann")
    bob_client, bob = join_as(lobby, "Bob")
    snapshot = reload(lobby.code)
    best = evening_window(snapshot, 0, 19)
    other = evening_window(snapshot, 1, 20)
    mark(lobby.code, owner, yes=slots(best, 4))
    mark(lobby.code, ann.participant_id, yes=slots(best, 4) | slots(other, 4))
    mark(lobby.code, bob.participant_id, yes=slots(other, 4))
    pizza = propose(lobby.code, owner, "Pizza Bar", address="2 High St")
    sushi = propose(lobby.code, ann.participant_id, "Sushi Go")
    vote(lobby.code, owner, sushi.place_id, "yes")
    vote(lobby.code, ann.participant_id, sushi.place_id, "yes")
    vote(lobby.code, bob.participant_id, sushi.place_id, "no")
    vote(lobby.code, bob.participant_id, pizza.place_id, "yes")
    return {
        "owner": owner,
        "ann": (ann_client, ann),
        "bob": (bob_client, bob),
        "best": best,
        "other": other,
        "pizza": pizza,
        "sushi": sushi,
    }


@pytest.mark.django_db
class TestRecommendation:
    def test_best_window_and_top_place_on_known_answers(self, lobby, answered):
        rec = decisions.recommendation(reload(lobby.code))
        assert rec.window.start_slot == answered["best"]
        assert rec.window.slot_count == 4
        assert rec.window.missing == (answered["bob"][1].participant_id,)
        assert rec.place.place_id == answered["sushi"].place_id
        assert rec.windows[0].start_slot == answered["best"]
        assert answered["other"] in [w.start_slot for w in rec.windows]

    def test_organizer_sees_the_pair_with_who_would_miss_it(
        self, lobby, answered, organizer_client
    ):
        body = lobby_page(organizer_client, lobby.code)
        assert "The best time and place so far" in body
        assert "Would miss it:</span> Bob" in body
        assert "Sushi Go" in body
        assert "voted no: Bob" in body
        assert "Settle on this" in body
        assert f'name="window" value="{answered["best"]}"' in body

    def test_others_see_no_settle_controls_before_the_deadline(self, lobby, answered):
        ann_client, _ann = answered["ann"]
        body = lobby_page(ann_client, lobby.code)
        assert "Settle on this" not in body
        assert "The best time and place so far" not in body

    def test_after_the_deadline_everyone_sees_the_recommendation(self, lobby, answered):
        pass_deadline(lobby.code)
        ann_client, _ann = answered["ann"]
        body = lobby_page(ann_client, lobby.code)
        assert "Answers are closed. The best time and place:" in body
        assert "Sushi Go" in body
        assert "Settle on this" not in body

    def test_nobody_answered_means_no_window(self, lobby, organizer_client):
        body = lobby_page(organizer_client, lobby.code)
        assert "Nobody has marked a time that works yet." in body
        assert "Choose a time and place" in body

    def test_deadline_is_shown_in_the_viewers_zone(self, organizer_client):
        deadline = datetime(2031, 1, 10, 17, 0, tzinfo=UTC)
        membership = lobby_services.create_lobby(
            make_settings(deadline=deadline, auto_settle=True), "Olivia", None
        )
        code = membership.participant.code
        seat_client(organizer_client, code, membership.participant)
        body = lobby_page(organizer_client, code, tz="Asia/Tokyo")
        assert "Answers close on Saturday 11 January, 02:00 (Asia/Tokyo)." in body
        assert "settles on the best time and place by itself" in body


@pytest.mark.django_db
class TestSettle:
    def test_quick_settle_on_the_recommended_pair(self, lobby, answered, organizer_client):
        before = reload(lobby.code).lobby
        response = organizer_client.post(
            settle_url(lobby.code),
            {"window": answered["best"], "place": answered["sushi"].place_id},
        )
        assert response.status_code == HTTPStatus.FOUND
        after = reload(lobby.code).lobby
        assert after.status == "settled"
        decision = after.decision
        assert (decision.start_slot, decision.slot_count) == (answered["best"], 4)
        assert decision.place_id == answered["sushi"].place_id
        assert decision.automatic is False
        spec = spec_for(after)
        assert decision.starts_at == spec.slot_start(answered["best"]).astimezone(UTC)
        assert decision.ends_at == spec.slot_end(answered["best"] + 3).astimezone(UTC)
        assert decision.starts_at.astimezone(BERLIN).hour == 19
        assert after.rev == before.rev + 1
        assert after.version == before.version  # an open settings edit stays valid

    def test_settle_page_offers_best_windows_any_window_and_places(
        self, lobby, answered, organizer_client
    ):
        response = organizer_client.get(settle_url(lobby.code))
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert f'value="{answered["best"]}"' in body
        assert 'value="other"' in body
        assert "<optgroup" in body
        assert f'value="{answered["pizza"].place_id}"' in body
        assert "No place" in body
        assert "Would miss it:</span> Bob" in body

    def test_settle_on_another_window_and_no_place(self, lobby, answered, organizer_client):
        snapshot = reload(lobby.code)
        start = evening_window(snapshot, 2, 18)
        response = organizer_client.post(
            settle_url(lobby.code), {"window": "other", "other_start": start, "place": ""}
        )
        assert response.status_code == HTTPStatus.FOUND
        decision = reload(lobby.code).lobby.decision
        assert decision.start_slot == start
        assert decision.place_id is None
        body = lobby_page(organizer_client, lobby.code)
        assert "It&#x27;s settled!" in body or "It's settled!" in body
        assert "No place chosen yet." in body

    def test_settled_page_shows_the_banner_and_reopen(self, lobby, answered, organizer_client):
        organizer_client.post(
            settle_url(lobby.code),
            {"window": answered["best"], "place": answered["pizza"].place_id},
        )
        body = lobby_page(organizer_client, lobby.code)
        assert "Pizza Bar</a>" not in body  # no link given, so plain text
        assert "Pizza Bar, 2 High St" in body
        assert reverse("voting:ics", args=[lobby.code]) in body
        assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in body
        assert reverse("voting:reopen", args=[lobby.code]) in body
        assert "Settle on this" not in body
        assert "1 can&#x27;t make it</dt>" in body or "1 can't make it</dt>" in body
        assert "Bob" in body

    def test_banner_shows_the_time_in_the_viewers_own_zone(self, lobby, answered, organizer_client):
        organizer_client.post(settle_url(lobby.code), {"window": answered["best"], "place": ""})
        starts = reload(lobby.code).lobby.decision.starts_at
        ann_client, _ann = answered["ann"]
        ann_client.cookies["tz"] = "America/New_York"
        body = lobby_page(ann_client, lobby.code)
        local = starts.astimezone(ZoneInfo("America/New_York"))
        assert f"{local:%H:%M}</time>" in body
        assert "(America/New_York)" in body
        assert f'datetime="{local.isoformat()}"' in body
        default = lobby_page(answered["bob"][0], lobby.code)
        assert f"{starts.astimezone(BERLIN):%H:%M}</time>" in default
        assert "Reopen" not in default

    def test_only_the_organizer_can_settle(self, lobby, answered):
        ann_client, _ann = answered["ann"]
        assert ann_client.get(settle_url(lobby.code)).status_code == HTTPStatus.FORBIDDEN
        response = ann_client.post(settle_url(lobby.code), {"window": answered["best"]})
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert reload(lobby.code).lobby.status == "open"

    def test_service_refuses_anyone_but_the_organizer(self, lobby, answered):
        with pytest.raises(NotAllowed):
            decisions.settle(
                reload(lobby.code), answered["ann"][1].participant_id, answered["best"], None
            )
        assert reload(lobby.code).lobby.status == "open"

    def test_outsider_gets_404(self, lobby, answered):
        response = Client().post(settle_url(lobby.code), {"window": answered["best"]})
        assert response.status_code == HTTPStatus.NOT_FOUND

    @pytest.mark.parametrize(
        "payload",
        [
            {"window": "other"},
            {"window": "other", "other_start": "abc"},
            {"window": "other", "other_start": "-1"},
            {"window": "other", "other_start": "99999"},
            {"window": "abc"},
            {"window": "-1"},
            {"window": "99999"},
            {"window": ""},
            {},
            {"window": "best", "place": "nope"},
        ],
    )
    def test_bad_windows_and_places_are_refused(self, lobby, answered, organizer_client, payload):
        if payload.get("window") == "best":
            payload = {**payload, "window": answered["best"]}
        response = organizer_client.post(settle_url(lobby.code), payload)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        content = response.content.decode()
        # The form refuses what is malformed, the service what does not fit the grid.
        assert 'class="field-error"' in content or 'class="form-error" role="alert"' in content
        assert reload(lobby.code).lobby.status == "open"

    def test_windows_that_do_not_fit_the_grid_are_refused_by_the_service(self, lobby, answered):
        snapshot = reload(lobby.code)
        spec = spec_for(snapshot.lobby)
        last_of_day = spec.slots_per_day - 1  # a 2-hour meeting would run past the day
        for start in (last_of_day, -1, spec.slot_count, "3", 2.0):
            with pytest.raises(LobbyError, match="not a possible meeting time"):
                decisions.settle(snapshot, answered["owner"], start, None)
        assert reload(lobby.code).lobby.status == "open"

    def test_withdrawn_place_is_refused(self, lobby, answered, organizer_client):
        snapshot = reload(lobby.code)
        services.delete_place(snapshot, answered["owner"], answered["pizza"].place_id)
        with pytest.raises(LobbyError, match="no longer on the list"):
            decisions.settle(
                reload(lobby.code), answered["owner"], answered["best"], answered["pizza"].place_id
            )

    def test_settling_twice_keeps_the_first_decision(self, lobby, answered, organizer_client):
        stale = reload(lobby.code)
        organizer_client.post(settle_url(lobby.code), {"window": answered["best"], "place": ""})
        with pytest.raises(LobbyError, match="already settled"):
            decisions.settle(stale, answered["owner"], answered["other"], None)
        response = organizer_client.post(
            settle_url(lobby.code), {"window": answered["other"], "place": ""}
        )
        assert response.status_code == HTTPStatus.FOUND
        assert reload(lobby.code).lobby.decision.start_slot == answered["best"]

    def test_settling_does_not_make_an_open_settings_edit_stale(self, lobby, answered):
        version = reload(lobby.code).lobby.version
        decisions.settle(reload(lobby.code), answered["owner"], answered["best"], None)
        lobby_services.update_settings(
            reload(lobby.code), answered["owner"], version, make_settings(title="Renamed")
        )
        after = reload(lobby.code).lobby
        assert after.title == "Renamed"
        assert after.status == "settled"

    def test_settle_after_the_deadline_still_works(self, lobby, answered, organizer_client):
        pass_deadline(lobby.code)
        organizer_client.post(settle_url(lobby.code), {"window": answered["best"], "place": ""})
        assert reload(lobby.code).lobby.status == "settled"

    def test_whole_day_lobby_settles_on_a_day(self, organizer_client):
        membership = lobby_services.create_lobby(
            make_settings(day_start=0, day_end=1440, slot_minutes=1440, meeting_minutes=1440),
            "Olivia",
            None,
        )
        code = membership.participant.code
        snapshot = reload(code)
        decisions.settle(snapshot, membership.participant.participant_id, 1, None)
        settled = decisions.settled_view(reload(code))
        assert settled.all_day
        assert settled.starts_at.astimezone(BERLIN).hour == 0
        assert (settled.ends_at - settled.starts_at).days == 1


@pytest.mark.django_db
class TestReopen:
    def test_organizer_reopens(self, lobby, answered, organizer_client):
        organizer_client.post(settle_url(lobby.code), {"window": answered["best"], "place": ""})
        rev = reload(lobby.code).lobby.rev
        response = organizer_client.post(reverse("voting:reopen", args=[lobby.code]))
        assert response.status_code == HTTPStatus.FOUND
        after = reload(lobby.code).lobby
        assert after.status == "open"
        assert after.decision is None
        assert after.rev == rev + 1
        body = lobby_page(organizer_client, lobby.code)
        assert "The lobby is open again." in body
        assert "Settle on this" in body

    def test_reopen_when_not_settled_is_a_message(self, lobby, organizer_client):
        response = organizer_client.post(reverse("voting:reopen", args=[lobby.code]))
        assert response.status_code == HTTPStatus.FOUND
        body = organizer_client.get(response["Location"]).content.decode()
        assert "not settled, so there is nothing to reopen" in body

    def test_only_the_organizer_reopens(self, lobby, answered, organizer_client):
        organizer_client.post(settle_url(lobby.code), {"window": answered["best"], "place": ""})
        ann_client, _ann = answered["ann"]
        response = ann_client.post(reverse("voting:reopen", args=[lobby.code]))
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert reload(lobby.code).lobby.status == "settled"


@pytest.mark.django_db
class TestLive:
    def test_poll_brings_the_banner_to_the_others(self, lobby, answered, organizer_client):
        ann_client, _ann = answered["ann"]
        rev = Lobby.get_rev(lobby.code).rev
        choice = {"window": answered["best"], "place": answered["sushi"].place_id}
        organizer_client.post(settle_url(lobby.code), choice)
        response = ann_client.get(reverse("lobbies:poll", args=[lobby.code]), {"rev": rev})
        body = response.content.decode()
        assert response.status_code == HTTPStatus.OK
        assert '<div id="decision" class="decision-region" hx-swap-oob="true">' in body
        assert "It&#x27;s settled!" in body or "It's settled!" in body
        assert '<div id="places-list" class="places-list" hx-swap-oob="true">' in body
        assert "This lobby is settled, so places and votes are closed." in body

    def test_poll_brings_new_places_and_votes(self, lobby, answered):
        ann_client, ann = answered["ann"]
        rev = Lobby.get_rev(lobby.code).rev
        place = propose(lobby.code, answered["owner"], "Brand New")
        vote(lobby.code, answered["owner"], place.place_id, "maybe")
        body = ann_client.get(
            reverse("lobbies:poll", args=[lobby.code]), {"rev": rev}
        ).content.decode()
        assert "Brand New" in body
        assert f'hx-post="/l/{lobby.code}/places/{place.place_id}/vote/"' in body
