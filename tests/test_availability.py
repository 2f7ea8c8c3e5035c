"""The availability grid: saving (plain form and htmx), bad input, the heatmap, best times and
viewer time zones, against DynamoDB Local.

The default lobby (tests/factories.py) is Europe/Berlin, 3 days, 18:00-23:00 in 30-minute
slots: 10 slots a day, slot = day * 10 + half-hours after 18:00; meetings last 2 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import availability, grid, services
from lobbies.entities import LOBBY_SK, Lobby, Participant, lobby_pk
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.html import Checkbox, checkboxes

HTMX = {"HTTP_HX_REQUEST": "true"}


def save_url(code: str) -> str:
    return reverse("lobbies:availability", args=[code])


def detail_url(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def key_of(code: str) -> str:
    return availability.grid_key(availability.spec_for(services.load_lobby(code).lobby))


def hexmap(slots, length: int = 30) -> str:
    return grid.bitmap_to_text(grid.encode_bitmap(slots, length))


def stored(code: str, participant_id: str):
    """(yes, maybe, answered_at, grid_key) as DynamoDB holds them."""
    item = Participant.get(*Participant.key_for(code, participant_id))
    return item.yes, item.maybe, item.answered_at, item.grid_key


def marks(code: str, participant_id: str):
    snapshot = services.load_lobby(code)
    spec = availability.spec_for(snapshot.lobby)
    return availability.marks_of(
        snapshot.participants[participant_id], spec, availability.grid_key(spec)
    )


def set_lobby(code: str, **values) -> None:
    TableItem._get_connection().update_item(
        lobby_pk(code),
        range_key=LOBBY_SK,
        actions=[getattr(Lobby, name).set(value) for name, value in values.items()],
    )


def answer(code: str, participant_id: str, yes=(), maybe=()) -> None:
    snapshot = services.load_lobby(code)
    services.save_availability(
        snapshot, participant_id, frozenset(yes), frozenset(maybe), key_of(code)
    )


@pytest.fixture
def me(lobby):
    return lobby.organizer


def form(lobby, me, **fields) -> dict:
    return {"participant": me.participant_id, "grid": key_of(lobby.code), **fields}


# --- saving ----------------------------------------------------------------------------------


def test_plain_form_save_stores_both_bitmaps_and_redirects(organizer_client, lobby, me):
    rev = services.lobby_rev(lobby.code)
    response = organizer_client.post(
        save_url(lobby.code), form(lobby, me, y=["0", "1", "12"], m=["2"])
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == detail_url(lobby.code) + "#availability"
    assert marks(lobby.code, me.participant_id) == ({0, 1, 12}, {2})
    yes, maybe, answered_at, key = stored(lobby.code, me.participant_id)
    assert yes == bytes.fromhex("c0080000") and maybe == bytes.fromhex("20000000")
    assert answered_at is not None and key == key_of(lobby.code)
    assert services.lobby_rev(lobby.code) == rev + 1
    page = organizer_client.get(response["Location"]).content.decode()
    assert "Your availability is saved." in page
    day = availability.day_label(date.fromisoformat(lobby.lobby.dates[1]))
    assert checkboxes(page)[f"{day}, 19:00, yes"] == Checkbox("y", "12", True, False)


def test_htmx_save_answers_with_the_status_fragment(organizer_client, lobby, me):
    response = organizer_client.post(
        save_url(lobby.code),
        form(lobby, me, yes=hexmap({3, 4}), maybe=hexmap({5})),
        **HTMX,
    )
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert content.startswith('<p id="save-status"') and "Saved." in content
    assert "<html" not in content
    assert marks(lobby.code, me.participant_id) == ({3, 4}, {5})


def test_save_is_two_requests_the_lobby_item_and_one_transaction(organizer_client, lobby, me):
    data = form(lobby, me, yes=hexmap({1}), maybe=hexmap(()))
    version = services.load_lobby(lobby.code).lobby.version
    with dynamo.count_calls() as calls:
        response = organizer_client.post(save_url(lobby.code), data, **HTMX)
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["GetItem", "TransactWriteItems"]
    # The rev moved; the settings' version did not, so an open settings edit is not stale.
    assert services.load_lobby(lobby.code).lobby.version == version


def test_lobby_closed_between_the_read_and_the_write(lobby, me):
    stale = services.get_lobby(lobby.code)
    set_lobby(lobby.code, status="settled")
    with pytest.raises(services.AnswersClosed, match="a moment ago"):
        services.save_availability(stale, me.participant_id, {1}, set(), key_of(lobby.code))
    assert stored(lobby.code, me.participant_id)[0] is None


def test_removed_participant_with_an_old_session_gets_404(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    ann.delete()
    data = {"participant": ann.participant_id, "grid": key_of(lobby.code), "y": ["1"]}
    assert client.post(save_url(lobby.code), data, **HTMX).status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(Participant.DoesNotExist):
        Participant.get(*Participant.key_for(lobby.code, ann.participant_id))


def test_saving_again_replaces_the_whole_state(organizer_client, lobby, me):
    organizer_client.post(save_url(lobby.code), form(lobby, me, y=["0", "1"], m=["5"]))
    organizer_client.post(save_url(lobby.code), form(lobby, me, y=["7"]))
    assert marks(lobby.code, me.participant_id) == ({7}, set())


def test_saving_nothing_is_an_answer_too(organizer_client, lobby, me):
    organizer_client.post(save_url(lobby.code), form(lobby, me))
    assert marks(lobby.code, me.participant_id) == (set(), set())


@pytest.mark.parametrize(
    ("fill", "mark", "expected"),
    [
        ("col:1", "maybe", ({0}, set(range(10, 20)))),
        ("row:2", "yes", ({0, 2, 12, 22}, set())),
        ("row:0", "clear", (set(), set())),
        ("clear-all", "yes", (set(), set())),
    ],
)
def test_quick_actions_work_without_javascript(organizer_client, lobby, me, fill, mark, expected):
    data = form(lobby, me, y=["0"], fill=fill, mark=mark, tz="Europe/Berlin")
    response = organizer_client.post(save_url(lobby.code), data)
    assert response.status_code == HTTPStatus.FOUND
    assert marks(lobby.code, me.participant_id) == expected


def test_quick_action_follows_the_viewers_columns(organizer_client, join_as):
    # Tokyo is 8 hours ahead of Berlin in winter: the whole Berlin evening of the first date
    # (slots 0-9) is the small hours of the next Tokyo date, which is Tokyo's first column.
    first = _next_weekday_in_winter()
    membership = services.create_lobby(
        make_settings(dates=(first, first + timedelta(days=1))), "Olivia", None
    )
    code = membership.participant.code
    client = Client()
    seat_client(client, code, membership.participant)
    data = {
        "participant": membership.participant.participant_id,
        "grid": key_of(code),
        "tz": "Asia/Tokyo",
        "fill": "col:0",
        "mark": "yes",
    }
    assert client.post(save_url(code), data).status_code == HTTPStatus.FOUND
    assert marks(code, membership.participant.participant_id) == (set(range(10)), set())


# --- bad input: a clear message, nothing stored changes ----------------------------------------

BAD_INPUT = [
    pytest.param({"y": ["30"]}, "not part of this lobby", id="slot-after-the-grid"),
    pytest.param({"m": ["-1"]}, "not part of this lobby", id="negative-slot"),
    pytest.param({"y": ["abc"]}, "not part of this lobby", id="slot-not-a-number"),
    pytest.param({"y": [str(n) for n in range(31)]}, "not part of", id="more-slots-than-grid"),
    pytest.param({"yes": "00" * 3, "maybe": "00" * 4}, "does not fit", id="bitmap-too-short"),
    pytest.param({"yes": "00" * 5, "maybe": "00" * 4}, "does not fit", id="bitmap-too-long"),
    pytest.param({"yes": "00000003", "maybe": "00" * 4}, "not part of", id="bits-beyond-grid"),
    pytest.param({"yes": "zz" * 4, "maybe": "00" * 4}, "malformed", id="bitmap-not-hex"),
    pytest.param({"yes": "0" * 7, "maybe": "00" * 4}, "malformed", id="bitmap-odd-length"),
    pytest.param({"y": ["3"], "m": ["3"]}, "marked both", id="yes-and-maybe"),
    pytest.param({"yes": "10000000", "maybe": "10000000"}, "marked both", id="both-bitmaps"),
    pytest.param({"fill": "col:9", "mark": "yes"}, "not part of", id="quick-action-off-grid"),
    pytest.param({"fill": "diagonal:1", "mark": "yes"}, "not part of", id="quick-action-bad"),
    pytest.param({"fill": "row:1", "mark": "purple"}, "Choose", id="unknown-mark"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("fields", "message"), BAD_INPUT)
def test_bad_input_is_refused_and_changes_nothing(
    organizer_client, lobby, me, fields, message, htmx
):
    answer(lobby.code, me.participant_id, yes={7}, maybe={8})
    before, rev = stored(lobby.code, me.participant_id), services.lobby_rev(lobby.code)
    response = organizer_client.post(
        save_url(lobby.code), form(lobby, me, **fields), **(HTMX if htmx else {})
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert message in content
    assert ("<html" in content) is not htmx
    assert stored(lobby.code, me.participant_id) == before
    assert services.lobby_rev(lobby.code) == rev


def test_refused_plain_form_shows_the_marks_as_sent(organizer_client, lobby, me):
    response = organizer_client.post(save_url(lobby.code), form(lobby, me, y=["3", "4"], m=["3"]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    day = availability.day_label(date.fromisoformat(lobby.lobby.dates[0]))
    assert f"{day}, 19:30 is marked both" in content
    boxes = checkboxes(content)
    assert boxes[f"{day}, 20:00, yes"] == Checkbox("y", "4", True, False)
    assert boxes[f"{day}, 19:30, if need be"] == Checkbox("m", "3", True, False)


def test_a_time_the_clocks_skip_cannot_be_marked(db):
    sunday = _next_spring_forward("Europe/Berlin")
    values = make_settings(dates=(sunday,), day_start=0, day_end=240, meeting_minutes=60)
    membership = services.create_lobby(values, "Olivia", None)
    code, me = membership.participant.code, membership.participant
    client = Client()
    seat_client(client, code, me)
    page = client.get(detail_url(code)).content.decode()
    # 02:00 and 02:30 do not exist that night: shown unavailable, with no checkboxes.
    assert '<td class="c" data-s="4" data-st="x">' in page
    assert 'name="y" value="4"' not in page
    data = {"participant": me.participant_id, "grid": key_of(code), "y": ["3", "4"]}
    response = client.post(save_url(code), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "02:00 does not exist" in response.content.decode()
    assert stored(code, me.participant_id)[0] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"joining_locked": True}, "locked this lobby"),
        ({"status": "settled"}, "This lobby is settled"),
        ({"deadline": datetime.now(UTC) - timedelta(minutes=1)}, "deadline to answer has passed"),
    ],
    ids=["locked", "settled", "past-deadline"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_closed_lobby_refuses_saves(organizer_client, lobby, me, change, message, htmx):
    answer(lobby.code, me.participant_id, yes={1})
    set_lobby(lobby.code, **change)
    before, rev = stored(lobby.code, me.participant_id), services.lobby_rev(lobby.code)
    response = organizer_client.post(
        save_url(lobby.code), form(lobby, me, y=["2"]), **(HTMX if htmx else {})
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert message in response.content.decode()
    assert stored(lobby.code, me.participant_id) == before
    assert services.lobby_rev(lobby.code) == rev


def test_closed_lobby_shows_the_grid_read_only(organizer_client, lobby, me):
    set_lobby(lobby.code, status="settled")
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert '<fieldset class="paint-tools" disabled>' in page
    boxes = checkboxes(page).values()
    assert len(boxes) == 2 * 30 and all(box.disabled for box in boxes)
    assert "data-save" not in page


def test_save_after_the_grid_changed_is_refused(organizer_client, lobby, me):
    old_key = key_of(lobby.code)
    _move_the_dates(lobby, me)
    response = organizer_client.post(
        save_url(lobby.code), {"participant": me.participant_id, "grid": old_key, "y": ["1"]}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "changed the days or times" in response.content.decode()
    assert stored(lobby.code, me.participant_id)[0] is None


def test_answers_for_an_old_grid_are_ignored_not_misread(organizer_client, lobby, me, join_as):
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, me.participant_id, yes={0, 1, 2, 3})
    answer(lobby.code, ann.participant_id, yes={0, 1, 2, 3})
    _move_the_dates(lobby, me)
    response = organizer_client.get(detail_url(lobby.code))
    group = response.context["group"]
    assert group["answered_count"] == 0
    assert group["not_answered"] == ["Olivia", "Ann"]
    assert group["best"] == []
    assert response.context["avail"]["stale"]
    assert "your earlier marks no longer apply" in response.content.decode()


def test_someone_elses_participant_is_refused(organizer_client, lobby, me, join_as):
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, ann.participant_id, yes={9})
    before = stored(lobby.code, ann.participant_id)
    data = {"participant": ann.participant_id, "grid": key_of(lobby.code), "y": ["1"]}
    for extra in ({}, HTMX):
        response = organizer_client.post(save_url(lobby.code), data, **extra)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert "opened as someone else" in response.content.decode()
    assert stored(lobby.code, ann.participant_id) == before
    assert stored(lobby.code, me.participant_id)[0] is None


def test_outsider_cannot_save(lobby, me, db):
    outsider = Client()
    data = form(lobby, me, y=["1"])
    assert outsider.post(save_url(lobby.code), data).status_code == HTTPStatus.NOT_FOUND
    assert outsider.post(save_url(lobby.code), data, **HTMX).status_code == HTTPStatus.NOT_FOUND
    assert stored(lobby.code, me.participant_id)[0] is None


def test_save_needs_post(organizer_client, lobby):
    assert organizer_client.get(save_url(lobby.code)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_removed_participant_cannot_save_from_an_old_snapshot(lobby, join_as):
    _, ann = join_as(lobby, "Ann")
    snapshot = services.load_lobby(lobby.code)
    ann.delete()
    with pytest.raises(services.LobbyError, match="no longer in this lobby"):
        services.save_availability(snapshot, ann.participant_id, {1}, set(), key_of(lobby.code))
    with pytest.raises(Participant.DoesNotExist):
        Participant.get(*Participant.key_for(lobby.code, ann.participant_id))


# --- the group view: heatmap, best times, who has not answered -----------------------------


@pytest.fixture
def answered(lobby, me, join_as):
    """Olivia, Bob and Cara answered (see each line); Dan joined and has not."""
    bob_client, bob = join_as(lobby, "Bob")
    _, cara = join_as(lobby, "Cara")
    join_as(lobby, "Dan")
    answer(lobby.code, me.participant_id, yes={0, 1, 2, 3, 10, 11, 12, 13})
    answer(lobby.code, bob.participant_id, yes={0, 1, 2, 3}, maybe={10, 11, 12, 13})
    answer(lobby.code, cara.participant_id, yes={2, 3, 4, 5}, maybe={0, 1})
    return {"Olivia": me, "Bob": bob, "Cara": cara, "bob_client": bob_client}


def test_best_times_rank_and_say_who_would_miss_them(organizer_client, lobby, answered):
    response = organizer_client.get(detail_url(lobby.code))
    best = response.context["group"]["best"]
    first, second = (date.fromisoformat(d) for d in lobby.lobby.dates[:2])
    assert [(w["start_slot"], w["yes"], w["maybe"], w["missing"]) for w in best] == [
        (0, ["Olivia", "Bob"], ["Cara"], []),
        (10, ["Olivia"], ["Bob"], ["Cara"]),
        (2, ["Cara"], [], ["Olivia", "Bob"]),
        (1, [], ["Cara"], ["Olivia", "Bob"]),
    ]
    assert best[0]["label"] == f"{availability.day_label(first)}, 18:00–20:00"
    assert best[1]["label"] == f"{availability.day_label(second)}, 18:00–20:00"
    content = response.content.decode()
    assert "Would miss it: Olivia, Bob" in content
    assert "Everyone who answered can come." in content


def test_heatmap_shades_by_who_can_come_and_hatches_if_need_be(organizer_client, lobby, answered):
    response = organizer_client.get(detail_url(lobby.code))
    group = response.context["group"]
    assert group["total"] == 3 and group["answered_count"] == 3
    assert group["not_answered"] == ["Dan"]
    cells = {c["s"]: c for row in group["rows"] for c in row["cells"] if "s" in c}
    assert cells[0]["cls"] == "h4 hm"  # Olivia, Bob; Cara if need be
    assert cells[0]["text"] == "2 can come, 1 if need be"
    assert cells[2]["cls"] == "h5"  # all three
    assert cells[4]["cls"] == "h2"  # Cara alone
    assert cells[10]["cls"] == "h2 hm"
    assert cells[9]["cls"] == "h0"
    content = response.content.decode()
    assert '<td class="h h4 hm" data-s="0"><span class="visually-hidden">2 can come' in content
    assert "Not answered yet:</strong> Dan" in content


def test_heatmap_filtered_to_some_people(organizer_client, lobby, answered):
    ids = [answered[n].participant_id for n in ("Olivia", "Bob", "Cara")]
    query = {"known": ids, "only": [answered["Cara"].participant_id]}
    response = organizer_client.get(detail_url(lobby.code), query)
    group = response.context["group"]
    assert group["filtering"] and group["total"] == 1
    cells = {c["s"]: c for row in group["rows"] for c in row["cells"] if "s" in c}
    assert cells[0]["cls"] == "h0 hm" and cells[4]["cls"] == "h5"
    checked = {c["name"]: c["checked"] for c in group["filter_choices"]}
    assert checked == {"Olivia": False, "Bob": False, "Cara": True}
    # Best times stay everyone's.
    assert group["best"][0]["yes"] == ["Olivia", "Bob"]


def test_filter_keeps_showing_someone_who_answers_later(organizer_client, lobby, answered):
    olivia, bob = answered["Olivia"].participant_id, answered["Bob"].participant_id
    query = {"known": [olivia, bob], "only": [olivia]}  # the form was rendered before Cara
    group = organizer_client.get(detail_url(lobby.code), query).context["group"]
    assert [c["name"] for c in group["filter_choices"] if c["checked"]] == ["Olivia", "Cara"]
    assert group["total"] == 2


def test_group_fragment_for_htmx(organizer_client, lobby, answered):
    url = reverse("lobbies:group", args=[lobby.code])
    ids = [answered[n].participant_id for n in ("Olivia", "Bob", "Cara")]
    with dynamo.count_calls() as calls:
        response = organizer_client.get(url, {"known": ids, "only": ids[:1]}, **HTMX)
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert content.startswith('<section class="card group-view" id="group-view"')
    assert "hx-swap-oob" not in content and "<html" not in content
    assert calls.operations == ["Query"]
    plain = organizer_client.get(url, {"only": ids[:1]})
    assert plain.status_code == HTTPStatus.FOUND
    assert plain["Location"].startswith(detail_url(lobby.code) + "?only=")


def test_group_fragment_is_for_participants_only(lobby, db):
    url = reverse("lobbies:group", args=[lobby.code])
    assert Client().get(url, **HTMX).status_code == HTTPStatus.NOT_FOUND


def test_who_can_come_without_javascript(organizer_client, lobby, answered):
    details = organizer_client.get(detail_url(lobby.code), {"day": 0, "time": 0}).context["group"][
        "details"
    ]
    assert (details["yes"], details["maybe"], details["no"]) == (["Olivia", "Bob"], ["Cara"], [])
    page = organizer_client.get(detail_url(lobby.code), {"day": 0, "time": 4})
    details = page.context["group"]["details"]
    assert (details["yes"], details["no"]) == (["Cara"], ["Olivia", "Bob"])
    assert "<dt>Cannot (2)</dt><dd>Olivia, Bob</dd>" in page.content.decode()
    # Out of range or garbage: no panel, no error.
    for query in ({"day": 9, "time": 0}, {"day": "x", "time": "1"}, {"day": 0, "time": 99}):
        response = organizer_client.get(detail_url(lobby.code), query)
        assert response.status_code == HTTPStatus.OK
        assert response.context["group"]["details"] is None


def test_heatmap_data_for_the_who_lists(organizer_client, lobby, answered):
    content = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert (
        'data-people="[{&quot;n&quot;: &quot;Olivia&quot;, &quot;y&quot;: &quot;f03c0000&quot;'
        in content
    )


def test_names_are_escaped_everywhere(organizer_client, lobby, join_as):
    _, evil = join_as(lobby, '<img src=x onerror="alert(1)">')
    answer(lobby.code, evil.participant_id, yes={0, 1, 2, 3})
    content = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content


# --- viewer time zones -----------------------------------------------------------------------


def test_grid_is_shown_in_the_viewers_zone(organizer_client, lobby):
    organizer_client.cookies["tz"] = "Asia/Kolkata"
    response = organizer_client.get(detail_url(lobby.code))
    avail = response.context["avail"]
    first = date.fromisoformat(lobby.lobby.dates[0])
    berlin_six = datetime.combine(first, datetime.min.time().replace(hour=18))
    expected = berlin_six.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(
        ZoneInfo("Asia/Kolkata")
    )
    assert avail["viewer_tz"] == "Asia/Kolkata" and avail["other_zone"]
    content = response.content.decode()
    first_slot = next(name for name, box in checkboxes(content).items() if box.value == "0")
    # 22:30 (or 21:30 in summer)
    assert first_slot == f"{availability.day_label(first)}, {expected:%H:%M}, yes"
    assert '<option value="Asia/Kolkata" selected>' in content
    assert "converted to your zone" in content


def test_query_zone_wins_and_garbage_is_ignored(organizer_client, lobby):
    organizer_client.cookies["tz"] = "Not/AZone"
    response = organizer_client.get(detail_url(lobby.code))
    assert response.context["avail"]["viewer_tz"] == "Europe/Berlin"
    response = organizer_client.get(detail_url(lobby.code), {"tz": "America/New_York"})
    assert response.context["avail"]["viewer_tz"] == "America/New_York"
    response = organizer_client.get(detail_url(lobby.code), {"tz": "../../etc/passwd"})
    assert response.context["avail"]["viewer_tz"] == "Europe/Berlin"


def test_zone_picker_sets_the_cookie(organizer_client, lobby):
    url = reverse("lobbies:timezone", args=[lobby.code])
    with dynamo.count_calls() as calls:
        response = organizer_client.get(url, {"tz": "America/New_York"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == detail_url(lobby.code) + "#availability"
    assert response.cookies["tz"].value == "America/New_York"
    assert response.cookies["tz"]["samesite"] == "Lax"
    assert calls.count == 0
    bad = organizer_client.get(url, {"tz": "Mars/Olympus"})
    assert bad.status_code == HTTPStatus.FOUND and "tz" not in bad.cookies


def test_save_in_another_zone_stores_lobby_slots(organizer_client, lobby, me):
    organizer_client.cookies["tz"] = "America/New_York"
    page = organizer_client.get(detail_url(lobby.code))
    first_box = next(iter(checkboxes(page.content.decode()).values()))
    assert first_box.value == "0"  # the first lobby slot, whatever the viewer's clock says
    organizer_client.post(save_url(lobby.code), form(lobby, me, y=["0"], tz="America/New_York"))
    assert marks(lobby.code, me.participant_id) == ({0}, set())


def test_whole_day_lobby(db):
    start = date.today() + timedelta(days=3)
    values = make_settings(
        dates=(start, start + timedelta(days=2)),
        day_start=0,
        day_end=1440,
        slot_minutes=1440,
        meeting_minutes=1440,
    )
    membership = services.create_lobby(values, "Olivia", None)
    code, me = membership.participant.code, membership.participant
    client = Client()
    seat_client(client, code, me)
    data = {"participant": me.participant_id, "grid": key_of(code), "y": ["1"]}
    assert client.post(save_url(code), data).status_code == HTTPStatus.FOUND
    response = client.get(detail_url(code))
    day = availability.day_label(start + timedelta(days=2))
    assert '<th scope="row" data-label="All day">' in response.content.decode()
    assert checkboxes(response.content.decode())[f"{day}, yes"].checked
    assert response.context["group"]["best"][0]["label"] == day


# --- the big lobby ---------------------------------------------------------------------------


def make_big_lobby(people: int = 50, days: int = 14):
    """`people` participants with varied answers over `days` days of 15-minute slots from 08:00
    to 24:00 (64 slots a day): the largest page the product expects."""
    import random

    start = date.today() + timedelta(days=2)
    values = make_settings(
        dates=tuple(start + timedelta(days=n) for n in range(days)),
        day_start=8 * 60,
        day_end=24 * 60,
        slot_minutes=15,
        meeting_minutes=120,
    )
    membership = services.create_lobby(values, "Olivia", None)
    code = membership.participant.code
    spec = availability.spec_for(services.load_lobby(code).lobby)
    key = availability.grid_key(spec)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with TableItem.batch_write() as batch:
        for n in range(people):
            if n == 0:
                participant = membership.participant
            else:
                participant, _token = services._new_participant(
                    code, f"Person {n}", None, membership.participant.expires_at
                )
            yes = {s for s in range(spec.slot_count) if rng.random() < 0.35}
            maybe = {s for s in range(spec.slot_count) if s not in yes and rng.random() < 0.2}
            participant.yes = grid.encode_bitmap(yes, spec.slot_count)
            participant.maybe = grid.encode_bitmap(maybe, spec.slot_count)
            participant.answered_at = now
            participant.grid_key = key
            batch.save(participant)
    return code, membership.participant


def test_big_lobby_page_is_one_dynamodb_request(db):
    code, me = make_big_lobby()
    client = Client()
    seat_client(client, code, me)
    with dynamo.count_calls() as calls:
        response = client.get(detail_url(code))
    assert calls.operations == ["Query"]  # first view: the whole lobby
    with dynamo.count_calls() as calls:
        response = client.get(detail_url(code))
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["Query"]  # unchanged since: only the Lobby item comes back
    group = response.context["group"]
    assert group["answered_count"] == 50 and len(group["best"]) == 5
    my_grid = response.content.decode().split('id="my-grid"')[1].split("</table>")[0]
    assert my_grid.count('<th scope="row"') == 64 and my_grid.count('<th scope="col"') == 14


# --- helpers ---------------------------------------------------------------------------------


def _move_the_dates(lobby, me) -> None:
    current = services.load_lobby(lobby.code)
    later = tuple(date.fromisoformat(d) + timedelta(days=7) for d in current.lobby.dates)
    services.update_settings(
        current, me.participant_id, current.lobby.version, make_settings(dates=later)
    )


def _next_spring_forward(tz: str) -> date:
    """The next date (from today on) whose local day is shorter than 24 hours."""
    zone = ZoneInfo(tz)
    day = date.today()
    while True:
        start = datetime.combine(day, datetime.min.time(), zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        if (end.astimezone(UTC) - start.astimezone(UTC)) < timedelta(hours=24):
            return day
        day += timedelta(days=1)


def _next_weekday_in_winter() -> date:
    """A date from two days on when Berlin is on standard time (UTC+1) for two days."""
    day = date.today() + timedelta(days=2)
    zone = ZoneInfo("Europe/Berlin")
    while True:
        offsets = {
            datetime.combine(day + timedelta(days=n), datetime.min.time(), zone).utcoffset()
            for n in range(3)
        }
        if offsets == {timedelta(hours=1)}:
            return day
        day += timedelta(days=1)


def test_my_grid_is_rendered_again_only_when_my_marks_change(lobby, me, join_as, rf):
    """Someone else's change makes a new snapshot; my grid, showing only my marks, is kept."""

    def my_grid(code: str, part: str = "body"):
        request = rf.get(detail_url(code))
        snapshot = services.read_lobby(code)
        return availability.page_context(request, snapshot, me.participant_id)["avail"][part]

    answer(lobby.code, me.participant_id, yes=[1, 2])
    before, head = my_grid(lobby.code), my_grid(lobby.code, "head")
    _client, ann = join_as(lobby, "Ann")
    answer(lobby.code, ann.participant_id, yes=[3])
    assert my_grid(lobby.code) is before
    assert my_grid(lobby.code, "head") is head  # the cells' four states are not rebuilt either
    answer(lobby.code, me.participant_id, yes=[2], maybe=[5])
    after = str(my_grid(lobby.code))
    assert 'data-s="1" data-st="n"' in after and 'data-s="5" data-st="m"' in after
    assert 'data-s="1" data-st="y"' in str(before)
