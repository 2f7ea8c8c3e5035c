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

from hangout import operations
from letshangout import dynamo
from letshangout.dynamo import TableItem
from lobbies import services
from lobbies.availability import grid
from lobbies.availability.answers import spec_for
from lobbies.entities import Lobby, Participant
from lobbies.store import load_lobby, lobby_rev
from voting import decisions
from voting import services as voting
from voting.entities import PlaceKey
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
    snapshot = load_lobby(code)
    lobby = snapshot.lobby
    assert (lobby.day_start, lobby.day_end, lobby.slot_minutes) == (480, 1440, 15)
    assert len(lobby.dates) == 14
    assert len(snapshot.participants) == 50
    assert len(snapshot.places) == 20
    assert code in err and "50 participants" in err

    spec = spec_for(lobby)
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
    assert decisions.recommendation(snapshot).window is not None


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
    assert {load_lobby(c.strip()).code for c in (first, second)} == {
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
        ["--participants", "1001"],
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
    services.join_lobby(load_lobby(code), "Sam", user.pk)
    return code


def test_export_import_round_trip_gives_the_same_lobby(rich_lobby, user, tmp_path):
    before = raw_items(rich_lobby)
    assert len(before) == 1 + 7 + 4 + 4  # the lobby, people, places and their name markers
    assert any("gsi1pk" in item for item in before)
    assert any("B" in item.get("yes", {}) for item in before)
    path = tmp_path / "lobby.json"
    _out, err = run("export_lobby", rich_lobby.lower(), "--output", str(path))
    assert "16 items" in err

    operations.delete_lobby(rich_lobby)
    assert raw_items(rich_lobby) == []
    out, _ = run("import_lobby", str(path))
    assert "wrote 16 items" in out

    assert raw_items(rich_lobby) == before
    assert [m.lobby.code for m in services.my_lobbies(user.pk)] == [rich_lobby]


def test_export_to_stdout_is_the_same_json(rich_lobby, tmp_path):
    out, _ = run("export_lobby", rich_lobby)
    data = json.loads(out)
    assert data["format"] == "letshangout.lobby"
    assert data["code"] == rich_lobby
    assert len(data["items"]) == 16


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
    old_rev = lobby_rev(rich_lobby)
    _client, newcomer = join_as(load_lobby(rich_lobby), "Late Larry")
    changed = raw_items(rich_lobby)

    with pytest.raises(CommandError, match="replace"):
        run("import_lobby", str(path))
    assert raw_items(rich_lobby) == changed

    out, _ = run("import_lobby", str(path), "--replace")
    assert "removed 1 items" in out
    after = raw_items(rich_lobby)
    assert newcomer.sk not in {item["sk"]["S"] for item in after}
    # Everything as exported, except the change counter, which moves on so open pages reload,
    # and the settings' version, which moves on so an open settings form goes stale.
    moved = {"rev", "version"}
    strip = [{k: v for k, v in item.items() if k not in moved} for item in after]
    assert strip == [{k: v for k, v in item.items() if k not in moved} for item in before]
    assert lobby_rev(rich_lobby) > old_rev + 1


def test_replace_shows_the_restored_lobby_at_once(rich_lobby, tmp_path, join_as):
    path = tmp_path / "lobby.json"
    run("export_lobby", rich_lobby, "-o", str(path))
    exported = load_lobby(rich_lobby)
    _client, newcomer = join_as(exported, "Late Larry")
    extra = voting.PlaceValues(name="Extra Bar")
    voting.propose_place(load_lobby(rich_lobby), newcomer.participant_id, extra)
    changed = load_lobby(rich_lobby)
    assert len(changed.participants) == 8 and len(changed.places) == 5

    run("import_lobby", str(path), "--replace")
    restored = load_lobby(rich_lobby)
    assert restored.rev > changed.rev
    assert list(restored.participants) == list(exported.participants)
    assert [p.place_id for p in restored.places] == [p.place_id for p in exported.places]
    assert restored.lobby.participant_count == 7
    assert restored.lobby.place_count == 4
    markers = {
        item.sk: item.place_id
        for item in Lobby.collection(rich_lobby, consistent=True)
        if isinstance(item, PlaceKey)
    }
    assert markers == {
        PlaceKey.key_for(rich_lobby, place.dedupe_key)[1]: place.place_id
        for place in restored.places
    }
    # The restored counts and markers hold: the withdrawn name is free again.
    voting.propose_place(restored, restored.lobby.owner_id, extra)
    assert load_lobby(rich_lobby).lobby.place_count == 5


def test_import_makes_missing_counts_and_name_markers(rich_lobby, tmp_path):
    """An export from before the counts and markers existed still restores a whole lobby."""
    before = raw_items(rich_lobby)
    data = json.loads(run("export_lobby", rich_lobby)[0])
    data["items"] = [item for item in data["items"] if item["kind"] != {"S": "placekey"}]
    for item in data["items"]:
        item.pop("participant_count", None)
        item.pop("place_count", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    operations.delete_lobby(rich_lobby)

    out, _ = run("import_lobby", str(path))
    assert "wrote 16 items" in out
    assert raw_items(rich_lobby) == before
    out, _ = run("import_lobby", str(path))
    assert "already as in the file" in out


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
        json.dumps(
            {
                "format": "letshangout.lobby",
                "version": 1,
                "code": "ABCDEFGH",
                "items": [
                    {"pk": {"S": "LOBBY#ABCDEFGH"}, "sk": {"S": "C#1"}, "kind": {"S": "comment"}}
                ],
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
    _c, stale = join_as(load_lobby(live), "Stale Steve")
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
    assert "Would delete 2 expired lobbies (9 items)" in out
    assert all_keys() == before


def test_purge_removes_expired_lobbies_and_orphans_only(mixed_table):
    live_items = raw_items(mixed_table["live"])
    out, _ = run("purge_expired_lobbies", "-v", "2")
    assert "Deleted 2 expired lobbies (9 items)" in out
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
    real_scan = Lobby.scan_expired_keys

    def scan_then_edit(cutoff):
        found = list(real_scan(cutoff))
        # The organizer moved the dates between the Scan and the delete.
        set_lobby_expiry(code, int(time.time()) + 86400)
        return found

    monkeypatch.setattr(Lobby, "scan_expired_keys", scan_then_edit)
    report = operations.purge_expired()
    assert report.codes == [] and report.skipped_live == 1
    monkeypatch.undo()
    assert load_lobby(code).lobby.title == lobby_settings.title


# --- stats -----------------------------------------------------------------------------------


def test_stats_count_by_state(db, lobby_settings, user, join_as):
    open_code = services.create_lobby(lobby_settings, "A", user.pk).participant.code
    join_as(load_lobby(open_code), "B")
    locked = load_lobby(services.create_lobby(lobby_settings, "C", None).participant.code)
    services.set_joining_locked(locked, locked.lobby.owner_id, True)
    # A fixed seed and a one-slot meeting: any "yes" makes a window, so settling always can.
    seeded = ("--participants", "2", "--places", "3", "--meeting", "30", "--seed", "6")
    settled_code = run("seed_demo_lobby", *seeded)[0].strip()
    settled = load_lobby(settled_code)
    assert decisions.settle_automatically(settled) is not None
    expired_code = services.create_lobby(lobby_settings, "D", None).participant.code
    expire(expired_code)

    out, _ = run("lobby_stats", "--json")
    assert json.loads(out) == {
        "lobbies": 4,
        "lobbies_by_state": {"open": 1, "locked": 1, "settled": 1, "expired": 1},
        "participants": 2 + 1 + 2 + 1,
        "signed_in_participants": 1,
        "places": 3,
        "place_markers": 3,
        "other_items": 0,
    }
    text, _ = run("lobby_stats")
    assert "Lobbies: 4" in text
    assert "Participants: 6 (1 signed in)" in text
    assert "Places: 3" in text


def test_stats_of_an_empty_table(db):
    out, _ = run("lobby_stats")
    assert "Lobbies: 0" in out
