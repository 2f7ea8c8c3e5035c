"""The availability grid: saving (plain form and htmx), bad input, the heatmap, best times and
viewer time zones, against DynamoDB Local.

The default lobby (tests/factories.py) is Europe/Berlin, 3 days, 18:00-23:00 in 30-minute
slots: 10 slots a day, slot = day * 10 + half-hours after 18:00; meetings last 2 hours.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import services, store
from lobbies.availability import grid
from lobbies.availability import saving as answering
from lobbies.availability.answers import grid_key, marks_of, spec_for
from lobbies.entities import LOBBY_SK, Lobby, Participant, lobby_pk
from lobbies.errors import AnswersClosed, LobbyError
from lobbies.page.labels import day_label
from lobbies.people.seats import new_participant
from lobbies.store import get_lobby, load_lobby, lobby_rev
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.html import (
    Checkbox,
    checkboxes,
    elements,
    first_element,
    my_grid,
    table_cells,
    text_of,
    wrapped_checkboxes,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def save_url(code: str) -> str:
    return reverse("lobbies:availability", args=[code])


def detail_url(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def key_of(code: str) -> str:
    return grid_key(spec_for(load_lobby(code).lobby))


def hexmap(slots, length: int = 30) -> str:
    return grid.bitmap_to_text(grid.encode_bitmap(slots, length))


def stored(code: str, participant_id: str):
    """(yes, maybe, answered_at, grid_key) as DynamoDB holds them."""
    item = Participant.get(*Participant.key_for(code, participant_id))
    return item.yes, item.maybe, item.answered_at, item.grid_key


def marks(code: str, participant_id: str):
    snapshot = load_lobby(code)
    return marks_of(snapshot.participants[participant_id], spec_for(snapshot.lobby))


def set_lobby(code: str, **values) -> None:
    """Change the Lobby item behind the services' back, with the rev bump every write makes."""
    actions = [getattr(Lobby, name).set(value) for name, value in values.items()]
    TableItem._get_connection().update_item(
        lobby_pk(code), range_key=LOBBY_SK, actions=[*actions, Lobby.rev.add(1)]
    )


def answer(code: str, participant_id: str, yes=(), maybe=()) -> None:
    answering.save_availability(
        answering.answer_sheet(get_lobby(code), key_of(code)),
        participant_id,
        frozenset(yes),
        frozenset(maybe),
    )


def heat(page: str) -> dict[int, tuple[str, str]]:
    """The heatmap's cells of the default lobby seen from Berlin, by slot: (CSS class, text).
    Column = day, row = half-hour after 18:00, so slot = column * 10 + row."""
    return {
        column * 10 + row: (cell["attrs"].get("class", ""), cell["text"])
        for row, cells in enumerate(table_cells(page, "heatmap"))
        for column, cell in enumerate(cells)
    }


def best_times(page: str) -> list[str]:
    """Each best time as the page reads, one line each."""
    items = re.findall(r'<li class="best-time">(.*?)</li>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.fixture
def me(lobby):
    return lobby.organizer


def form(lobby, me, **fields) -> dict:
    return {"participant": me.participant_id, "grid": key_of(lobby.code), **fields}


def day_form(lobby, me, day: int, **fields) -> dict:
    """The plain day editor's save: one day's boxes (`y`, `m`)."""
    return form(lobby, me, day=str(day), **fields)


# --- saving ----------------------------------------------------------------------------------


def test_plain_form_saves_one_day_at_a_time_and_keeps_the_others(organizer_client, lobby, me):
    rev = lobby_rev(lobby.code)
    response = organizer_client.post(save_url(lobby.code), day_form(lobby, me, 0, y=["0", "1"]))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(detail_url(lobby.code))
    response = organizer_client.post(
        save_url(lobby.code), day_form(lobby, me, 1, y=["12"], m=["13"])
    )
    assert marks(lobby.code, me.participant_id) == ({0, 1, 12}, {13})
    response = organizer_client.post(save_url(lobby.code), day_form(lobby, me, 0, m=["2"]))
    assert marks(lobby.code, me.participant_id) == ({12}, {2, 13})  # day 0 replaced, day 1 kept
    yes, maybe, answered_at, key = stored(lobby.code, me.participant_id)
    assert yes == bytes.fromhex("00080000") and maybe == bytes.fromhex("20040000")
    assert answered_at is not None and key == key_of(lobby.code)
    assert lobby_rev(lobby.code) == rev + 3
    page = organizer_client.get(response["Location"]).content.decode()
    assert "Your availability is saved." in page
    page = organizer_client.get(detail_url(lobby.code), {"day": 1}).content.decode()
    day = day_label(date.fromisoformat(lobby.lobby.dates[1]))
    assert day in text_of(page, "day-editor")
    assert checkboxes(page)["19:00 Yes"] == Checkbox("y", "12", True, False)
    assert checkboxes(page)["19:30 If need be"] == Checkbox("m", "13", True, False)
    assert my_grid(page)[12] == "y" and my_grid(page)[2] == "m" and my_grid(page)[0] == "n"


def test_htmx_save_answers_with_the_status_fragment(organizer_client, lobby, me):
    response = organizer_client.post(
        save_url(lobby.code),
        form(lobby, me, yes=hexmap({3, 4}), maybe=hexmap({5})),
        **HTMX,
    )
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    status = first_element(content)
    assert not status.before.strip() and status.tag == "p"
    assert status.attrs["id"] == "save-status" and "Saved." in content
    assert "<html" not in content
    assert marks(lobby.code, me.participant_id) == ({3, 4}, {5})


def test_save_is_the_lobby_item_my_item_and_the_rev(organizer_client, lobby, me):
    data = form(lobby, me, yes=hexmap({1}), maybe=hexmap(()))
    version = load_lobby(lobby.code).lobby.version
    with dynamo.count_calls() as calls:
        response = organizer_client.post(save_url(lobby.code), data, **HTMX)
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["GetItem", "UpdateItem", "UpdateItem"]
    # The rev moved; the settings' version did not, so an open settings edit is not stale.
    assert load_lobby(lobby.code).lobby.version == version


def test_lobby_closed_between_the_read_and_the_write(lobby, me):
    stale = get_lobby(lobby.code)
    set_lobby(lobby.code, status="settled")
    with pytest.raises(AnswersClosed, match="a moment ago"):
        answering.save_availability(
            answering.answer_sheet(stale, key_of(lobby.code)), me.participant_id, {1}, set()
        )
    assert stored(lobby.code, me.participant_id)[0] is None


def test_removed_participant_with_an_old_session_gets_404(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    ann.delete()
    data = {"participant": ann.participant_id, "grid": key_of(lobby.code), "day": "0", "y": ["1"]}
    assert client.post(save_url(lobby.code), data, **HTMX).status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(Participant.DoesNotExist):
        Participant.get(*Participant.key_for(lobby.code, ann.participant_id))


def test_saving_a_day_again_replaces_that_days_state(organizer_client, lobby, me):
    organizer_client.post(save_url(lobby.code), day_form(lobby, me, 0, y=["0", "1"], m=["5"]))
    organizer_client.post(save_url(lobby.code), day_form(lobby, me, 0, y=["7"]))
    assert marks(lobby.code, me.participant_id) == ({7}, set())


def test_grid_js_saves_the_whole_grid_at_once(organizer_client, lobby, me):
    answer(lobby.code, me.participant_id, yes={0, 25}, maybe={26})
    data = form(lobby, me, yes=hexmap({1}), maybe=hexmap({29}))
    assert organizer_client.post(save_url(lobby.code), data, **HTMX).status_code == 200
    assert marks(lobby.code, me.participant_id) == ({1}, {29})


def test_saving_nothing_is_an_answer_too(organizer_client, lobby, me):
    organizer_client.post(save_url(lobby.code), day_form(lobby, me, 0))
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
    answer(lobby.code, me.participant_id, yes={0})
    data = form(lobby, me, fill=fill, mark=mark, tz="Europe/Berlin")
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
    pytest.param({"day": "0", "y": ["30"]}, "not part of this lobby", id="slot-after-the-grid"),
    pytest.param({"day": "0", "y": ["12"]}, "not part of this lobby", id="slot-of-another-day"),
    pytest.param({"day": "0", "m": ["-1"]}, "not part of this lobby", id="negative-slot"),
    pytest.param({"day": "0", "y": ["abc"]}, "not part of this lobby", id="slot-not-a-number"),
    pytest.param(
        {"day": "0", "y": [str(n) for n in range(31)]}, "not part of", id="more-slots-than-grid"
    ),
    pytest.param({"day": "3", "y": ["0"]}, "not part of", id="day-off-grid"),
    pytest.param({"day": "x", "y": ["0"]}, "not part of", id="day-not-a-number"),
    pytest.param({"yes": "00" * 3, "maybe": "00" * 4}, "does not fit", id="bitmap-too-short"),
    pytest.param({"yes": "00" * 5, "maybe": "00" * 4}, "does not fit", id="bitmap-too-long"),
    pytest.param({"yes": "00000003", "maybe": "00" * 4}, "not part of", id="bits-beyond-grid"),
    pytest.param({"yes": "zz" * 4, "maybe": "00" * 4}, "malformed", id="bitmap-not-hex"),
    pytest.param({"yes": "0" * 7, "maybe": "00" * 4}, "malformed", id="bitmap-odd-length"),
    pytest.param({"day": "0", "y": ["3"], "m": ["3"]}, "marked both", id="yes-and-maybe"),
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
    before, rev = stored(lobby.code, me.participant_id), lobby_rev(lobby.code)
    response = organizer_client.post(
        save_url(lobby.code), form(lobby, me, **fields), **(HTMX if htmx else {})
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert message in content
    assert ("<html" in content) is not htmx
    assert stored(lobby.code, me.participant_id) == before
    assert lobby_rev(lobby.code) == rev


def test_refused_plain_form_shows_the_day_as_sent(organizer_client, lobby, me):
    data = day_form(lobby, me, 1, y=["13", "14"], m=["13"])
    response = organizer_client.post(save_url(lobby.code), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    day = day_label(date.fromisoformat(lobby.lobby.dates[1]))
    assert f"{day}, 19:30 is marked both" in content
    assert day in text_of(content, "day-editor")
    boxes = checkboxes(content)
    assert boxes["20:00 Yes"] == Checkbox("y", "14", True, False)
    assert boxes["19:30 If need be"] == Checkbox("m", "13", True, False)


def test_a_time_the_clocks_skip_cannot_be_marked(db):
    sunday = _next_spring_forward("Europe/Berlin")
    values = make_settings(dates=(sunday,), day_start=0, day_end=240, meeting_minutes=60)
    membership = services.create_lobby(values, "Olivia", None)
    code, me = membership.participant.code, membership.participant
    client = Client()
    seat_client(client, code, me)
    page = client.get(detail_url(code)).content.decode()
    # 02:00 and 02:30 do not exist that night: shown unavailable, with no checkboxes.
    assert my_grid(page)[4] == my_grid(page)[5] == "x" and my_grid(page)[3] == "n"
    yes = {box.attrs["value"] for box in elements(page, "input") if box.attrs.get("name") == "y"}
    assert "4" not in yes and "3" in yes
    data = {"participant": me.participant_id, "grid": key_of(code)}
    response = client.post(save_url(code), {**data, "yes": "18", "maybe": "00"}, **HTMX)
    assert response.status_code == HTTPStatus.BAD_REQUEST  # grid.js: bits 3 and 4
    assert "02:00 does not exist" in response.content.decode()
    response = client.post(save_url(code), {**data, "day": "0", "y": ["3", "4"]})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # a forged day editor
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
    before, rev = stored(lobby.code, me.participant_id), lobby_rev(lobby.code)
    response = organizer_client.post(
        save_url(lobby.code), day_form(lobby, me, 0, y=["2"]), **(HTMX if htmx else {})
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert message in response.content.decode()
    assert stored(lobby.code, me.participant_id) == before
    assert lobby_rev(lobby.code) == rev


def test_closed_lobby_shows_the_grid_read_only(organizer_client, lobby, me):
    set_lobby(lobby.code, status="settled")
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert '<fieldset class="paint-tools" disabled>' in page
    boxes = checkboxes(page).values()
    assert len(boxes) == 2 * 10 and all(box.disabled for box in boxes)  # one day's boxes
    assert 'value="col:' not in page and 'value="row:' not in page  # no quick actions
    assert "data-save" not in page


def test_save_after_the_grid_changed_is_refused(organizer_client, lobby, me):
    old_key = key_of(lobby.code)
    _move_the_dates(lobby, me)
    response = organizer_client.post(
        save_url(lobby.code),
        {"participant": me.participant_id, "grid": old_key, "day": "0", "y": ["1"]},
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "changed the days or times" in response.content.decode()
    assert stored(lobby.code, me.participant_id)[0] is None


def test_answers_for_an_old_grid_are_ignored_not_misread(organizer_client, lobby, me, join_as):
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, me.participant_id, yes={0, 1, 2, 3})
    answer(lobby.code, ann.participant_id, yes={0, 1, 2, 3})
    _move_the_dates(lobby, me)
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    group = text_of(page, "group-view")
    assert "0 of 2 have answered." in group
    assert "2 have not answered yet: Olivia, Ann" in group
    assert best_times(page) == [] and "No time works yet" in group
    assert set(my_grid(page).values()) == {"n"}
    assert "your earlier marks no longer apply" in page


def test_someone_elses_participant_is_refused(organizer_client, lobby, me, join_as):
    _, ann = join_as(lobby, "Ann")
    answer(lobby.code, ann.participant_id, yes={9})
    before = stored(lobby.code, ann.participant_id)
    data = {"participant": ann.participant_id, "grid": key_of(lobby.code), "day": "0", "y": ["1"]}
    for extra in ({}, HTMX):
        response = organizer_client.post(save_url(lobby.code), data, **extra)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert "opened as someone else" in response.content.decode()
    assert stored(lobby.code, ann.participant_id) == before
    assert stored(lobby.code, me.participant_id)[0] is None


def test_outsider_cannot_save(lobby, me, db):
    outsider = Client()
    data = day_form(lobby, me, 0, y=["1"])
    assert outsider.post(save_url(lobby.code), data).status_code == HTTPStatus.NOT_FOUND
    assert outsider.post(save_url(lobby.code), data, **HTMX).status_code == HTTPStatus.NOT_FOUND
    assert stored(lobby.code, me.participant_id)[0] is None


def test_save_needs_post(organizer_client, lobby):
    assert organizer_client.get(save_url(lobby.code)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_removed_participant_cannot_save_from_an_old_snapshot(lobby, join_as):
    _, ann = join_as(lobby, "Ann")
    item = get_lobby(lobby.code)
    ann.delete()
    with pytest.raises(LobbyError, match="no longer in this lobby"):
        answering.save_availability(
            answering.answer_sheet(item, key_of(lobby.code)), ann.participant_id, {1}, set()
        )
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
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    first, second = (day_label(date.fromisoformat(d)) for d in lobby.lobby.dates[:2])
    best = best_times(page)
    assert len(best) == 4
    assert best[0].startswith(f"{first}, 18:00–20:00 2 can come · 1 if need be")
    assert "Only if need be: Cara" in best[0] and "Everyone who answered can come." in best[0]
    assert best[1].startswith(f"{second}, 18:00–20:00 1 can come · 1 if need be")
    assert "Only if need be: Bob" in best[1] and "Would miss it: Cara" in best[1]
    assert best[2].startswith(f"{first}, 19:00–21:00 1 can come")
    assert "Would miss it: Olivia, Bob" in best[2]
    assert best[3].startswith(f"{first}, 18:30–20:30 0 can come · 1 if need be")


def test_heatmap_shades_by_who_can_come_and_hatches_if_need_be(organizer_client, lobby, answered):
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    group = text_of(page, "group-view")
    assert "3 of 4 have answered." in group
    assert "1 has not answered yet: Dan" in group
    cells = heat(page)
    assert len(cells) == 30
    assert cells[0] == ("h4 hm", "2+1")  # Olivia, Bob; Cara if need be
    assert cells[2] == ("h5", "3")  # all three
    assert cells[4] == ("h2", "1")  # Cara alone
    assert cells[10] == ("h2 hm", "1+1")
    assert cells[9] == ("h0", "0")
    assert "Each cell says how many can come" in page  # what the numbers mean


def filter_boxes(page: str) -> dict[str, bool]:
    """The heatmap filter's people, ticked or not."""
    return wrapped_checkboxes(page, "only")


def test_heatmap_filtered_to_some_people(organizer_client, lobby, answered):
    ids = [answered[n].participant_id for n in ("Olivia", "Bob", "Cara")]
    query = {"known": ids, "only": [answered["Cara"].participant_id]}
    page = organizer_client.get(detail_url(lobby.code), query).content.decode()
    assert "Showing 1 person" in page
    cells = heat(page)
    assert cells[0][0] == "h0 hm" and cells[4][0] == "h5"
    assert filter_boxes(page) == {"Olivia": False, "Bob": False, "Cara": True}
    # Best times stay everyone's.
    assert best_times(page)[0].split(" 18:00–20:00 ")[1].startswith("2 can come")


def test_filter_keeps_showing_someone_who_answers_later(organizer_client, lobby, answered):
    olivia, bob = answered["Olivia"].participant_id, answered["Bob"].participant_id
    query = {"known": [olivia, bob], "only": [olivia]}  # the form was rendered before Cara
    page = organizer_client.get(detail_url(lobby.code), query).content.decode()
    assert [name for name, ticked in filter_boxes(page).items() if ticked] == ["Olivia", "Cara"]
    assert "Showing 2 people" in page


def test_group_fragment_for_htmx(organizer_client, lobby, answered):
    url = reverse("lobbies:group", args=[lobby.code])
    ids = [answered[n].participant_id for n in ("Olivia", "Bob", "Cara")]
    organizer_client.get(detail_url(lobby.code))
    with dynamo.count_calls() as calls:
        response = organizer_client.get(url, {"known": ids, "only": ids[:1]}, **HTMX)
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    section = first_element(content)
    assert not section.before.strip() and section.tag == "section"
    assert "group-view" in section.attrs["class"].split() and section.attrs["id"] == "group-view"
    assert "hx-swap-oob" not in content and "<html" not in content
    assert "Showing 1 person" in content
    assert calls.operations == ["GetItem"]  # the lobby is unchanged since the page
    plain = organizer_client.get(url, {"only": ids[:1]})
    assert plain.status_code == HTTPStatus.FOUND
    assert plain["Location"].startswith(detail_url(lobby.code) + "?only=")


def test_group_fragment_is_for_participants_only(lobby, db):
    url = reverse("lobbies:group", args=[lobby.code])
    assert Client().get(url, **HTMX).status_code == HTTPStatus.NOT_FOUND


def between_tags(html: str) -> str:
    """The markup without the layout's whitespace next to tags."""
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html)


def test_who_can_come_without_javascript(organizer_client, lobby, answered):
    page = organizer_client.get(detail_url(lobby.code), {"day": 0, "time": 0}).content.decode()
    page = between_tags(page)
    assert "<dt>Can come (2)</dt><dd>Olivia, Bob</dd>" in page
    assert "<dt>If need be (1)</dt><dd>Cara</dd>" in page
    assert "<dt>Cannot (0)</dt><dd>nobody</dd>" in page
    page = organizer_client.get(detail_url(lobby.code), {"day": 0, "time": 4}).content.decode()
    page = between_tags(page)
    assert "<dt>Cannot (2)</dt><dd>Olivia, Bob</dd>" in page
    assert "<dt>Can come (1)</dt><dd>Cara</dd>" in page
    # Out of range or garbage: no panel, no error.
    for query in ({"day": 9, "time": 0}, {"day": "x", "time": "1"}, {"day": 0, "time": 99}):
        response = organizer_client.get(detail_url(lobby.code), query)
        assert response.status_code == HTTPStatus.OK
        assert "Can come (" not in text_of(response.content.decode(), "slot-details")


def test_who_can_come_on_demand(organizer_client, lobby, answered):
    url = reverse("lobbies:who", args=[lobby.code])
    response = organizer_client.get(url, {"day": 0, "time": 0}, **HTMX)
    assert response.status_code == HTTPStatus.OK
    content = between_tags(response.content.decode())
    assert "<dt>Can come (2)</dt><dd>Olivia, Bob</dd>" in content
    assert "<dt>If need be (1)</dt><dd>Cara</dd>" in content and "<html" not in content
    first = day_label(date.fromisoformat(lobby.lobby.dates[0]))
    assert f"{first}, 18:00" in content
    later = between_tags(organizer_client.get(url, {"day": 2, "time": 4}, **HTMX).content.decode())
    assert "<dt>Cannot (3)</dt><dd>Olivia, Bob, Cara</dd>" in later
    for day, time in ((3, 0), (0, 10), (-1, 0), ("abc", 0), ("", ""), ("9" * 20, 0)):
        response = organizer_client.get(url, {"day": day, "time": time})
        assert response.status_code == HTTPStatus.NOT_FOUND
    outsider = Client().get(url, {"day": 0, "time": 0})
    assert outsider.status_code == HTTPStatus.NOT_FOUND


def test_the_heatmap_carries_no_names(organizer_client, lobby, answered):
    heatmap = organizer_client.get(detail_url(lobby.code)).content.decode()
    heatmap = heatmap.split('id="heatmap"')[1].split("</table>")[0]
    assert "Olivia" not in heatmap and "Cara" not in heatmap and "data-people" not in heatmap


def test_names_are_escaped_everywhere(organizer_client, lobby, join_as):
    _, evil = join_as(lobby, '<img src=x onerror="alert(1)">')
    answer(lobby.code, evil.participant_id, yes={0, 1, 2, 3})
    content = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content


# --- viewer time zones -----------------------------------------------------------------------


def test_grid_is_shown_in_the_viewers_zone(organizer_client, lobby):
    organizer_client.cookies["tz"] = "Asia/Kolkata"
    content = organizer_client.get(detail_url(lobby.code)).content.decode()
    first = date.fromisoformat(lobby.lobby.dates[0])
    berlin_six = datetime.combine(first, datetime.min.time().replace(hour=18))
    expected = berlin_six.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(
        ZoneInfo("Asia/Kolkata")
    )
    assert viewer_tz_of(content) == "Asia/Kolkata"
    # The day editor shows the first Kolkata day: the lobby's first slot at 22:30 (21:30 in
    # summer), the rest of that Berlin evening on the next Kolkata day.
    assert day_label(first) in text_of(content, "day-editor")
    first_slot = next(name for name, box in checkboxes(content).items() if box.value == "0")
    assert first_slot == f"{expected:%H:%M} Yes"
    assert "converted to your zone" in content


def viewer_tz_of(page: str) -> str:
    """The zone the page shows times in (the one grid.js saves with)."""
    return re.search(r'id="my-grid-form"[^>]* data-tz="([^"]+)"', page).group(1)


def test_query_zone_wins_and_garbage_is_ignored(organizer_client, lobby):
    def zone(**query) -> str:
        return viewer_tz_of(organizer_client.get(detail_url(lobby.code), query).content.decode())

    organizer_client.cookies["tz"] = "Not/AZone"
    assert zone() == "Europe/Berlin"
    assert zone(tz="America/New_York") == "America/New_York"
    assert zone(tz="../../etc/passwd") == "Europe/Berlin"


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
    data = day_form(lobby, me, 0, y=["0"], tz="America/New_York")
    organizer_client.post(save_url(lobby.code), data)
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
    data = {"participant": me.participant_id, "grid": key_of(code), "day": "1", "y": ["1"]}
    assert client.post(save_url(code), data).status_code == HTTPStatus.FOUND
    page = client.get(detail_url(code), {"day": 1}).content.decode()
    day = day_label(start + timedelta(days=2))
    assert my_grid(page) == {0: "n", 1: "y"}
    assert "All day" in text_of(page, "my-grid")
    assert day in text_of(page, "day-editor")
    assert checkboxes(page)["All day Yes"].checked
    assert best_times(page)[0].startswith(f"{day} 1 can come")


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
    spec = spec_for(get_lobby(code))
    key = grid_key(spec)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with TableItem.batch_write() as batch:
        for n in range(people):
            if n == 0:
                participant = membership.participant
            else:
                participant, _token = new_participant(
                    code, f"Person {n}", None, membership.participant.expires_at
                )
            yes = {s for s in range(spec.slot_count) if rng.random() < 0.35}
            maybe = {s for s in range(spec.slot_count) if s not in yes and rng.random() < 0.2}
            participant.yes = grid.encode_bitmap(yes, spec.slot_count)
            participant.maybe = grid.encode_bitmap(maybe, spec.slot_count)
            participant.answered_at = now
            participant.grid_key = key
            batch.save(participant)
    store.update_lobby(code, [])  # the rev bump every write makes
    return code, membership.participant


def test_big_lobby_page_is_at_most_two_dynamodb_requests(db):
    code, me = make_big_lobby()
    client = Client()
    seat_client(client, code, me)
    with dynamo.count_calls() as calls:
        response = client.get(detail_url(code))
    assert calls.operations == ["GetItem", "Query"]  # first view: the rev, the whole lobby
    with dynamo.count_calls() as calls:
        response = client.get(detail_url(code))
    assert response.status_code == HTTPStatus.OK
    assert calls.operations == ["GetItem"]  # unchanged since: the rev alone
    page = response.content.decode()
    assert "50 of 50 have answered." in text_of(page, "group-view")
    assert len(best_times(page)) == 5
    rows = table_cells(page, "my-grid")
    assert len(rows) == 64 and {len(row) for row in rows} == {14}
    assert len(my_grid(page)) == 64 * 14


# --- helpers ---------------------------------------------------------------------------------


def _move_the_dates(lobby, me) -> None:
    current = load_lobby(lobby.code)
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


def test_marks_too_short_for_the_meeting_are_not_called_none(organizer_client, lobby, me):
    answer(lobby.code, me.participant_id, yes={0})  # half an hour; the meeting takes two
    group = text_of(organizer_client.get(detail_url(lobby.code)).content.decode(), "group-view")
    assert "the times marked so far are shorter than the meeting" in group
    assert "nobody has marked one" not in group
