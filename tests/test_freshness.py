"""A page shows every acknowledged write at once, whoever made it and whatever their clock says.

Freshness comes from the Lobby item's rev, read strongly consistently on every request, never
from a clock: these tests write with a writer's clock ten minutes off, and from a second
Python process with its own snapshot cache, and read at once through the project's own views
and services against DynamoDB Local. They also count the DynamoDB requests each kind of
request makes.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from letshangout import dynamo
from lobbies import answering, grid, services
from lobbies.answers import grid_key, marks_of, spec_for
from tests.conftest import TEST_TABLE
from tests.html import my_grid, table_cells
from voting import services as voting

HTMX = {"HTTP_HX_REQUEST": "true"}
TEN_MINUTES = 600
# Every module whose writes read the wall clock (created and answered times, the deadline in a
# write's condition); those that do not exist in this version are skipped.
CLOCK_MODULES = (
    "lobbies.services",
    "lobbies.answering",
    "lobbies.store",
    "voting.services",
    "voting.decisions",
)


def skew_clock(monkeypatch, seconds: int) -> None:
    """Run this process's writes with its clocks `seconds` off (negative: behind)."""
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + seconds)
    for name in CLOCK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_now"):
            monkeypatch.setattr(
                module, "_now", lambda: datetime.now(UTC) + timedelta(seconds=seconds)
            )


def detail_url(code: str) -> str:
    return reverse("lobbies:detail", args=[code])


def names(code: str) -> set[str]:
    # A set: people are listed in the order their (skewed) clocks say they joined.
    return {p.display_name for p in services.load_lobby(code).participants.values()}


def marks(code: str, participant_id: str):
    snapshot = services.load_lobby(code)
    return marks_of(snapshot.participants[participant_id], spec_for(snapshot.lobby))


def save(code: str, participant_id: str, yes=(), maybe=()) -> None:
    lobby = services.get_lobby(code)
    key = grid_key(spec_for(lobby))
    answering.save_availability(
        answering.answer_sheet(lobby, key), participant_id, frozenset(yes), frozenset(maybe)
    )


def hexmap(slots, length: int = 30) -> str:
    return grid.bitmap_to_text(grid.encode_bitmap(slots, length))


# --- a writer's clock ten minutes off ----------------------------------------------------------


@pytest.mark.parametrize("skew", [-TEN_MINUTES, TEN_MINUTES], ids=["behind", "ahead"])
def test_a_write_with_a_skewed_clock_is_shown_at_once(organizer_client, lobby, monkeypatch, skew):
    code = lobby.code
    rev = services.lobby_rev(code)
    page = organizer_client.get(detail_url(code)).content.decode()  # this process has it now
    assert "Ann" not in page

    with monkeypatch.context() as clock:
        skew_clock(clock, skew)
        ann = services.join_lobby(services.load_lobby(code), "Ann", None).participant
        save(code, ann.participant_id, yes={0, 1, 2, 3})
        voting.propose_place(
            services.load_lobby(code), ann.participant_id, voting.PlaceValues(name="Skew Bar")
        )

    page = organizer_client.get(detail_url(code)).content.decode()
    assert "Ann" in page and "Skew Bar" in page
    assert table_cells(page, "heatmap")[0][0]["text"] == "1"  # Ann's answer, first slot
    assert marks(code, ann.participant_id) == ({0, 1, 2, 3}, set())
    poll = organizer_client.get(reverse("lobbies:poll", args=[code]), {"rev": rev}, **HTMX)
    assert poll.status_code == HTTPStatus.OK and "Skew Bar" in poll.content.decode()


@pytest.mark.parametrize("skew", [-TEN_MINUTES, TEN_MINUTES], ids=["behind", "ahead"])
def test_my_own_save_with_a_skewed_clock_is_shown_back_to_me(
    organizer_client, lobby, monkeypatch, skew
):
    me = lobby.organizer.participant_id
    key = grid_key(spec_for(lobby.lobby))
    organizer_client.get(detail_url(lobby.code))
    with monkeypatch.context() as clock:
        skew_clock(clock, skew)
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
# services with its own snapshot cache (and its clock `skew` seconds off), and answers each
# with one JSON line once the write is acknowledged or the read is done.
WORKER = r"""
import json, sys, time
from datetime import UTC, datetime, timedelta
import django
django.setup()
from lobbies import services
from lobbies.answers import grid_key, marks_of, spec_for

skew = int(sys.argv[1])
real_time = time.time
time.time = lambda: real_time() + skew
import importlib
for name in sys.argv[2:]:
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    if hasattr(module, "_now"):
        module._now = lambda: datetime.now(UTC) + timedelta(seconds=skew)

def read(code):
    snapshot = services.load_lobby(code)
    spec = spec_for(snapshot.lobby)
    people = {}
    for pid, person in snapshot.participants.items():
        answer = marks_of(person, spec)
        people[pid] = {
            "name": person.display_name,
            "yes": sorted(answer[0]) if answer else None,
        }
    return {"rev": snapshot.rev, "people": people}

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    command = json.loads(line)
    code = command["code"]
    if command["op"] == "join":
        membership = services.join_lobby(services.load_lobby(code), command["name"], None)
        answer = {"id": membership.participant.participant_id}
    elif command["op"] == "rename":
        services.rename_participant(services.load_lobby(code), command["id"], command["name"])
        answer = {}
    elif command["op"] == "save":
        lobby = services.get_lobby(code)
        services.save_availability(
            lobby, command["id"], frozenset(command["yes"]), frozenset(),
            grid_key(spec_for(lobby)),
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
            [sys.executable, "-c", WORKER, str(skew), *CLOCK_MODULES],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(settings.BASE_DIR),
        )
        assert self._answer() == {"ready": True}

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
    me = lobby.organizer.participant_id
    assert other.do("read", code)["people"][me]["name"] == "Olivia"

    # The other process joins: the next read here shows it, page and services alike.
    ann = other.do("join", code, name="Ann")["id"]
    assert names(code) == {"Olivia", "Ann"}
    assert "Ann" in organizer_client.get(detail_url(code)).content.decode()

    # A write here: the other process's next read shows it, though it has read the lobby before.
    services.rename_participant(services.load_lobby(code), me, "Olivia P.")
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
    assert seen["rev"] == services.lobby_rev(code)


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

    rev = services.lobby_rev(code)
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
