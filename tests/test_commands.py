"""Operator commands against DynamoDB Local: seed, export/import, purge, stats."""

from __future__ import annotations

import json
import time
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.test import Client

from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import grid, maintenance, services
from lobbies.entities import Lobby, Participant
from voting import services as voting
from voting.ranking import VOTE_VALUES

COMMANDS = [
    "purge_expired_lobbies",
    "export_lobby",
    "import_lobby",
    "seed_demo_lobby",
    "lobby_stats",
]


def run(name: str, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def raw_items(code: str) -> list[dict]:
    """Every item of the lobby exactly as DynamoDB holds it."""
    client = dynamo.botocore_client()
    answer = client.query(
        TableName=TableItem.Meta.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"LOBBY#{code}"}},
        ConsistentRead=True,
    )
    return sorted(answer["Items"], key=lambda item: item["sk"]["S"])


def expire(code: str, seconds_ago: int = 60) -> None:
    set_lobby_expiry(code, int(time.time()) - seconds_ago)


def set_lobby_expiry(code: str, expires_at: int) -> None:
    # Not Model.update: that would check and bump the settings' optimistic-lock version.
    TableItem._get_connection().update_item(
        f"LOBBY#{code}", range_key="LOBBY", actions=[Lobby.expires_at.set(expires_at)]
    )


def all_keys() -> set[tuple[str, str]]:
    return {(item.pk, item.sk) for item in TableItem.scan()}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    command = load_command_class(get_commands()[name], name)
    text = command.create_parser("manage.py", name).format_help()
    assert command.help and command.help.split()[0] in text


# --- seed ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_the_benchmark_lobby():
    out, err = run(
        "seed_demo_lobby",
        *[
            "--participants",
            "50",
            "--days",
            "14",
            "--slot",
            "15",
            "--start",
            "08:00",
            "--end",
            "24:00",
            "--places",
            "20",
        ],
        "--seed",
        "7",
    )
    code = out.strip()
    snapshot = services.load_lobby(code)
    lobby = snapshot.lobby
    assert (lobby.day_start, lobby.day_end, lobby.slot_minutes) == (480, 1440, 15)
    assert len(lobby.dates) == 14
    assert len(snapshot.participants) == 50
    assert len(snapshot.places) == 20
    assert code in err and "50 participants" in err

    spec = voting.grid_spec(lobby)
    assert spec.slot_count == 14 * 64
    place_ids = {place.place_id for place in snapshot.places}
    answered_yes = 0
    for person in snapshot.participants.values():
        yes = grid.decode_bitmap(person.yes, spec.slot_count)  # strict: right size, no stray bits
        maybe = grid.decode_bitmap(person.maybe, spec.slot_count)
        grid.validate_availability(spec, yes, maybe)
        answered_yes += bool(yes)
        votes = voting.votes_of(person)
        assert set(votes) <= place_ids
        assert set(votes.values()) <= set(VOTE_VALUES)
        assert person.answered_at is not None
    assert answered_yes > 40  # random, but nearly everyone is free at some point in 14 days
    assert voting.recommendation(snapshot).window is not None


@pytest.mark.django_db
def test_seeded_lobby_opens_through_the_organizers_link():
    out, _err = run("seed_demo_lobby", "--json", "--participants", "3", "--places", "2")
    data = json.loads(out)
    assert len(data["participants"]) == 3
    client = Client()
    response = client.get(data["participants"][0]["link"], follow=True)
    assert response.status_code == HTTPStatus.OK
    assert b"Demo lobby" in response.content


@pytest.mark.django_db
def test_seed_twice_makes_two_lobbies():
    first, _ = run("seed_demo_lobby", "--participants", "2")
    second, _ = run("seed_demo_lobby", "--participants", "2")
    assert first.strip() != second.strip()
    assert {services.load_lobby(c.strip()).code for c in (first, second)} == {
        first.strip(),
        second.strip(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--start", "25:00"],
        ["--start", "8"],
        ["--end", "07:00", "--start", "08:00"],
        ["--participants", "0"],
        ["--participants", "101"],
        ["--days", "40"],
        ["--places", "51"],
        ["--timezone", "Mars/Olympus"],
    ],
)
def test_seed_refuses_bad_options(args):
    with pytest.raises(CommandError):
        run("seed_demo_lobby", *args)
    assert not all_keys()


# --- export and import -----------------------------------------------------------------------


@pytest.fixture
def rich_lobby(db, user):
    """A lobby with everything in it: answers, places, votes, a signed-in participant (GSI)."""
    out, _ = run("seed_demo_lobby", "--participants", "6", "--places", "4", "--seed", "3")
    code = out.strip()
    services.join_lobby(services.load_lobby(code), "Sam", user.pk)
    return code


def test_export_import_round_trip_gives_the_same_lobby(rich_lobby, user, tmp_path):
    before = raw_items(rich_lobby)
    assert len(before) == 1 + 7 + 4
    assert any("gsi1pk" in item for item in before)
    assert any("B" in item.get("yes", {}) for item in before)
    path = tmp_path / "lobby.json"
    _out, err = run("export_lobby", rich_lobby.lower(), "--output", str(path))
    assert "12 items" in err

    maintenance.delete_lobby(rich_lobby)
    assert raw_items(rich_lobby) == []
    out, _ = run("import_lobby", str(path))
    assert "wrote 12 items" in out

    assert raw_items(rich_lobby) == before
    assert [m.lobby.code for m in services.my_lobbies(user.pk)] == [rich_lobby]


def test_export_to_stdout_is_the_same_json(rich_lobby, tmp_path):
    out, _ = run("export_lobby", rich_lobby)
    data = json.loads(out)
    assert data["format"] == "letshangout.lobby"
    assert data["code"] == rich_lobby
    assert len(data["items"]) == 12


def test_import_twice_changes_nothing(rich_lobby, tmp_path):
    path = tmp_path / "lobby.json"
    run("export_lobby", rich_lobby, "-o", str(path))
    before = raw_items(rich_lobby)
    out, _ = run("import_lobby", str(path))
    assert "already as in the file" in out
    out, _ = run("import_lobby", str(path))
    assert "already as in the file" in out
    assert raw_items(rich_lobby) == before


def test_import_over_a_changed_lobby_needs_replace(rich_lobby, tmp_path, join_as):
    path = tmp_path / "lobby.json"
    run("export_lobby", rich_lobby, "-o", str(path))
    before = raw_items(rich_lobby)
    old_rev = services.lobby_rev(rich_lobby)
    _client, newcomer = join_as(services.load_lobby(rich_lobby), "Late Larry")
    changed = raw_items(rich_lobby)

    with pytest.raises(CommandError, match="replace"):
        run("import_lobby", str(path))
    assert raw_items(rich_lobby) == changed

    out, _ = run("import_lobby", str(path), "--replace")
    assert "removed 1 items" in out
    after = raw_items(rich_lobby)
    assert newcomer.sk not in {item["sk"]["S"] for item in after}
    # Everything as exported, except the change counter, which moves on so open pages reload.
    strip = [{k: v for k, v in item.items() if k != "rev"} for item in after]
    assert strip == [{k: v for k, v in item.items() if k != "rev"} for item in before]
    assert services.lobby_rev(rich_lobby) > old_rev + 1


def test_export_of_unknown_or_malformed_code_fails(db):
    with pytest.raises(CommandError, match="no lobby"):
        run("export_lobby", "ABCD-EFGH")
    with pytest.raises(CommandError, match="not a lobby code"):
        run("export_lobby", "nope")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"format": "something else"}),
        json.dumps({"format": "letshangout.lobby", "version": 99, "code": "ABCDEFGH"}),
        json.dumps({"format": "letshangout.lobby", "version": 1, "code": "ABCDEFGH", "items": []}),
        json.dumps(
            {
                "format": "letshangout.lobby",
                "version": 1,
                "code": "ABCDEFGH",
                "items": [{"pk": {"S": "LOBBY#ZZZZZZZZ"}, "sk": {"S": "LOBBY"}}],
            }
        ),
        json.dumps(
            {
                "format": "letshangout.lobby",
                "version": 1,
                "code": "ABCDEFGH",
                "items": [{"pk": {"S": "LOBBY#ABCDEFGH"}, "sk": {"S": "P#x"}}],
            }
        ),
        json.dumps(
            {
                "format": "letshangout.lobby",
                "version": 1,
                "code": "ABCDEFGH",
                "items": [{"pk": {"S": "LOBBY#ABCDEFGH"}, "sk": {"S": "LOBBY"}, "x": {"Q": 1}}],
            }
        ),
    ],
)
def test_import_refuses_bad_files(db, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError):
        run("import_lobby", str(path))
    assert not all_keys()


# --- purge -----------------------------------------------------------------------------------


@pytest.fixture
def mixed_table(db, lobby_settings, join_as):
    """A live lobby (one participant with a stale expires_at), an expired lobby with people
    and a place, and a participant whose Lobby item TTL already removed."""
    live = services.create_lobby(lobby_settings, "Liv", None).participant.code
    _c, stale = join_as(services.load_lobby(live), "Stale Steve")
    Participant(*Participant.key_for(live, stale.participant_id)).update(
        actions=[Participant.expires_at.set(int(time.time()) - 3600)]
    )
    gone = run("seed_demo_lobby", "--participants", "3", "--places", "2")[0].strip()
    expire(gone)
    orphan = services.create_lobby(lobby_settings, "Orphan", None).participant
    orphan_code = orphan.code
    expire(orphan_code)
    orphan.update(actions=[Participant.expires_at.set(int(time.time()) - 60)])
    for item in TableItem.query(f"LOBBY#{orphan_code}"):
        if isinstance(item, Lobby):
            item.delete()
    return {"live": live, "gone": gone, "orphan": orphan_code}


def test_purge_dry_run_deletes_nothing(mixed_table):
    before = all_keys()
    out, _ = run("purge_expired_lobbies", "--dry-run")
    assert "Would delete 2 expired lobbies (7 items)" in out
    assert all_keys() == before


def test_purge_removes_expired_lobbies_and_orphans_only(mixed_table):
    live_items = raw_items(mixed_table["live"])
    out, _ = run("purge_expired_lobbies", "-v", "2")
    assert "Deleted 2 expired lobbies (7 items)" in out
    assert "Left 1 live lobbies" in out
    assert raw_items(mixed_table["gone"]) == []
    assert raw_items(mixed_table["orphan"]) == []
    assert raw_items(mixed_table["live"]) == live_items

    out, _ = run("purge_expired_lobbies")
    assert "No expired lobbies" in out
    assert raw_items(mixed_table["live"]) == live_items


def test_purge_spares_a_lobby_whose_dates_moved_after_the_scan(db, lobby_settings, monkeypatch):
    code = services.create_lobby(lobby_settings, "Liv", None).participant.code
    expire(code)
    real_query = maintenance._query_collection

    def query_after_edit(code_, keys_only=False):
        # The organizer moved the dates between the Scan and the delete.
        set_lobby_expiry(code_, int(time.time()) + 86400)
        return real_query(code_, keys_only)

    monkeypatch.setattr(maintenance, "_query_collection", query_after_edit)
    report = maintenance.purge_expired()
    assert report.codes == [] and report.skipped_live == 1
    monkeypatch.undo()
    assert services.load_lobby(code).lobby.title == lobby_settings.title


# --- stats -----------------------------------------------------------------------------------


def test_stats_count_by_state(db, lobby_settings, user, join_as):
    open_code = services.create_lobby(lobby_settings, "A", user.pk).participant.code
    join_as(services.load_lobby(open_code), "B")
    locked = services.load_lobby(services.create_lobby(lobby_settings, "C", None).participant.code)
    services.set_joining_locked(locked, locked.lobby.owner_id, True)
    # A fixed seed and a one-slot meeting: any "yes" makes a window, so settling always can.
    seeded = ("--participants", "2", "--places", "3", "--meeting", "30", "--seed", "6")
    settled_code = run("seed_demo_lobby", *seeded)[0].strip()
    settled = services.load_lobby(settled_code)
    assert voting.settle_automatically(settled) is not None
    expired_code = services.create_lobby(lobby_settings, "D", None).participant.code
    expire(expired_code)

    out, _ = run("lobby_stats", "--json")
    assert json.loads(out) == {
        "lobbies": 4,
        "lobbies_by_state": {"open": 1, "locked": 1, "settled": 1, "expired": 1},
        "participants": 2 + 1 + 2 + 1,
        "signed_in_participants": 1,
        "places": 3,
        "other_items": 0,
    }
    text, _ = run("lobby_stats")
    assert "Lobbies: 4" in text
    assert "Participants: 6 (1 signed in)" in text
    assert "Places: 3" in text


def test_stats_of_an_empty_table(db):
    out, _ = run("lobby_stats")
    assert "Lobbies: 0" in out
