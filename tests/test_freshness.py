"""A page shows every acknowledged write at once, whoever made it and whatever their clock says.

Freshness comes from the Lobby item's rev, read strongly consistently on every request, never
from a clock: these tests write with a writer's clock ten minutes off, and from a second
Python process with its own snapshot cache, and read at once through the project's own views
and services against DynamoDB Local. They also count the DynamoDB requests each kind of
request makes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from letshangout import dynamo
from lobbies import services
from lobbies.availability import grid, saving
from lobbies.availability.answers import grid_key, marks_of, spec_for
from lobbies.store import get_lobby, load_lobby, lobby_rev
from tests.conftest import TEST_TABLE
from tests.html import my_grid, table_cells
from voting import services as voting

HTMX = {"HTTP_HX_REQUEST": "true"}
TEN_MINUTES = 600
# How far a clock read in a test may be from the skew it was given (the test's own run time).
LEEWAY = timedelta(seconds=60)


def skewed_clock(seconds: int) -> time_machine.travel:
    """This process's clock `seconds` off (negative: behind), ticking on from there: time.time,
    datetime.now and the rest, for the app, Django's signing and botocore's alike."""
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=True)


@contextmanager
def signing_times() -> Iterator[list[datetime]]:
    """When botocore signed each DynamoDB request sent in the block, by the signer's clock."""
    signed: list[datetime] = []

    def record(request, **kwargs) -> None:
        stamp = request.headers["X-Amz-Date"]
        stamp = stamp.decode() if isinstance(stamp, bytes) else stamp
        signed.append(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))

    events = dynamo.botocore_client().meta.events
    events.register("before-send.dynamodb", record)
    try:
        yield signed
    finally:
        events.unregister("before-send.dynamodb", record)


def detail_url(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def names(code: str) -> set[str]:
    # A set: people are listed in the order their (skewed) clocks say they joined.
    return {p.display_name for p in load_lobby(code).participants.values()}


def marks(code: str, participant_id: str):
    snapshot = load_lobby(code)
    return marks_of(snapshot.participants[participant_id], spec_for(snapshot.lobby))


def save(code: str, participant_id: str, yes=(), maybe=()) -> None:
    lobby = get_lobby(code)
    key = grid_key(spec_for(lobby))
    saving.save_availability(
        saving.answer_sheet(lobby, key), participant_id, frozenset(yes), frozenset(maybe)
    )


def hexmap(slots, length: int = 30) -> str:
    return grid.bitmap_to_text(grid.encode_bitmap(slots, length))


# --- a writer's clock ten minutes off ----------------------------------------------------------


@pytest.mark.parametrize("skew", [-TEN_MINUTES, TEN_MINUTES], ids=["behind", "ahead"])
def test_a_write_with_a_skewed_clock_is_shown_at_once(organizer_client, lobby, skew):
    code = lobby.code
    rev = lobby_rev(code)
    page = organizer_client.get(detail_url(code)).content.decode()  # this process has it now
    assert "Ann" not in page

    real_now = datetime.now(UTC)
    with skewed_clock(skew), signing_times() as signed:
        ann = services.join_lobby(load_lobby(code), "Ann", None).participant
        save(code, ann.participant_id, yes={0, 1, 2, 3})
        voting.propose_place(
            load_lobby(code), ann.participant_id, voting.PlaceValues(name="Skew Bar")
        )
    # The writes went out signed by the skewed clock, and DynamoDB Local took them.
    assert signed
    assert all(abs(at - real_now - timedelta(seconds=skew)) < LEEWAY for at in signed)

    page = organizer_client.get(detail_url(code)).content.decode()
    assert "Ann" in page and "Skew Bar" in page
    assert table_cells(page, "heatmap")[0][0]["text"] == "1"  # Ann's answer, first slot
    assert marks(code, ann.participant_id) == ({0, 1, 2, 3}, set())
    poll = organizer_client.get(reverse("lobbies:poll", args=[code]), {"rev": rev}, **HTMX)
    assert poll.status_code == HTTPStatus.OK and "Skew Bar" in poll.content.decode()


@pytest.mark.parametrize("skew", [-TEN_MINUTES, TEN_MINUTES], ids=["behind", "ahead"])
def test_my_own_save_with_a_skewed_clock_is_shown_back_to_me(organizer_client, lobby, skew):
    me = lobby.organizer.participant_id
    key = grid_key(spec_for(lobby.lobby))
    organizer_client.get(detail_url(lobby.code))
    with skewed_clock(skew):
        for yes in ({5}, {6, 7}):  # two saves in a row: the second one must win
            data = {"participant": me, "grid": key, "yes": hexmap(yes), "maybe": hexmap(())}
            response = organizer_client.post(
                reverse("lobbies:availability", args=[lobby.code]), data, **HTMX
            )
            assert response.status_code == HTTPStatus.OK
    page = organizer_client.get(detail_url(lobby.code)).content.decode()
    assert {slot for slot, state in my_grid(page).items() if state == "y"} == {6, 7}


# --- two processes -----------------------------------------------------------------------------

# A second process of the app: it reads commands, one JSON line each, does them through the
# services with its own snapshot cache (and its clock `skew` seconds off, ticking), and answers
# each with one JSON line once the write is acknowledged or the read is done.
WORKER = r"""
import json, sys, time
from datetime import UTC, datetime, timedelta
import time_machine

skew = int(sys.argv[1])
if skew:
    time_machine.travel(datetime.now(UTC) + timedelta(seconds=skew), tick=True).start()

import django
django.setup()
from lobbies import services
from lobbies.store import get_lobby, load_lobby
from lobbies.availability import saving
from lobbies.availability.answers import grid_key, marks_of, spec_for

def read(code):
    snapshot = load_lobby(code)
    spec = spec_for(snapshot.lobby)
    people = {}
    for pid, person in snapshot.participants.items():
        answer = marks_of(person, spec)
        people[pid] = {
            "name": person.display_name,
            "yes": sorted(answer[0]) if answer else None,
        }
    return {"rev": snapshot.rev, "people": people}

print(json.dumps({"ready": True, "time": time.time()}), flush=True)
for line in sys.stdin:
    command = json.loads(line)
    code = command["code"]
    if command["op"] == "join":
        membership = services.join_lobby(load_lobby(code), command["name"], None)
        answer = {"id": membership.participant.participant_id}
    elif command["op"] == "rename":
        services.rename_participant(load_lobby(code), command["id"], command["name"])
        answer = {}
    elif command["op"] == "save":
        lobby = get_lobby(code)
        saving.save_availability(
            saving.answer_sheet(lobby, grid_key(spec_for(lobby))),
            command["id"], frozenset(command["yes"]), frozenset(),
        )
        answer = {}
    else:
        answer = read(code)
    print(json.dumps(answer), flush=True)
"""


class OtherProcess:
    """The second process, driven one command at a time (each waits for its answer)."""

    def __init__(self, endpoint_url: str, skew: int = 0):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "letshangout.settings",
            "DJANGO_ENV": "test",
            "DYNAMODB_ENDPOINT_URL": endpoint_url,
            "DYNAMODB_TABLE": TEST_TABLE,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(skew)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(settings.BASE_DIR),
        )
        ready = self._answer()
        assert ready["ready"]
        self.clock_ahead = timedelta(seconds=ready["time"] - time.time())  # its clock, less mine

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        assert line, "the other process stopped"
        return json.loads(line)

    def do(self, op: str, code: str, **fields) -> dict:
        self.process.stdin.write(json.dumps({"op": op, "code": code, **fields}) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def other_process(dynamodb):
    started = []

    def start(skew: int = 0) -> OtherProcess:
        process = OtherProcess(dynamodb.endpoint_url, skew)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


@pytest.mark.parametrize("skew", [0, -TEN_MINUTES, TEN_MINUTES], ids=["same", "behind", "ahead"])
def test_two_processes_alternate_and_each_sees_every_acknowledged_write(
    organizer_client, lobby, other_process, skew
):
    code = lobby.code
    other = other_process(skew)
    assert abs(other.clock_ahead - timedelta(seconds=skew)) < LEEWAY
    me = lobby.organizer.participant_id
    assert other.do("read", code)["people"][me]["name"] == "Olivia"

    # The other process joins: the next read here shows it, page and services alike.
    ann = other.do("join", code, name="Ann")["id"]
    assert names(code) == {"Olivia", "Ann"}
    assert "Ann" in organizer_client.get(detail_url(code)).content.decode()

    # A write here: the other process's next read shows it, though it has read the lobby before.
    services.rename_participant(load_lobby(code), me, "Olivia P.")
    assert other.do("read", code)["people"][me]["name"] == "Olivia P."

    # Alternating writes to the same item, each read back at once by the other side.
    for round_ in range(3):
        other.do("save", code, id=ann, yes=[round_, round_ + 10])
        assert marks(code, ann) == ({round_, round_ + 10}, set())
        page = organizer_client.get(detail_url(code)).content.decode()
        assert table_cells(page, "heatmap")[round_][0]["text"] == "1"
        save(code, ann, yes={round_ + 20})
        assert other.do("read", code)["people"][ann]["yes"] == [round_ + 20]

    other.do("rename", code, id=ann, name="Ann B.")
    assert names(code) == {"Olivia P.", "Ann B."}
    seen = other.do("read", code)
    assert seen["rev"] == lobby_rev(code)


# --- DynamoDB requests per request -------------------------------------------------------------


def test_dynamodb_requests_per_request(organizer_client, lobby, join_as):
    code = lobby.code
    detail = detail_url(code)
    organizer_client.get(detail)

    with dynamo.count_calls() as calls:
        assert organizer_client.get(detail).status_code == HTTPStatus.OK
    assert calls.count == 1  # unchanged, seen before: the rev check

    join_as(lobby, "Ann")
    with dynamo.count_calls() as calls:
        assert "Ann" in organizer_client.get(detail).content.decode()
    assert calls.count == 2  # changed: the rev check and one Query

    rev = lobby_rev(code)
    with dynamo.count_calls() as calls:
        poll = organizer_client.get(reverse("lobbies:poll", args=[code]), {"rev": rev}, **HTMX)
    assert poll.status_code == HTTPStatus.NO_CONTENT
    assert calls.count == 1  # an unchanged poll: the rev check

    data = {
        "participant": lobby.organizer.participant_id,
        "grid": grid_key(spec_for(lobby.lobby)),
        "yes": hexmap({1, 2}),
        "maybe": hexmap({3}),
    }
    with dynamo.count_calls() as calls:
        response = organizer_client.post(reverse("lobbies:availability", args=[code]), data, **HTMX)
    assert response.status_code == HTTPStatus.OK
    # A grid.js save: the Lobby item, my item, then the rev (never one transaction with both).
    assert calls.operations == ["GetItem", "UpdateItem", "UpdateItem"]

    organizer_client.get(detail)  # the page the plain day editor is on: this rev is read
    plain = {key: value for key, value in data.items() if key not in ("yes", "maybe")}
    with dynamo.count_calls() as calls:
        response = organizer_client.post(
            reverse("lobbies:availability", args=[code]), {**plain, "day": "0", "y": ["0"]}
        )
    assert response.status_code == HTTPStatus.FOUND
    assert calls.count == 3  # a day saved without JavaScript: the rev check, my item, the rev
