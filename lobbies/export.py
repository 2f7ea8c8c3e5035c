"""Taking your data with you: a participant's own answers, or the organizer's whole lobby, as
JSON and CSV, from one snapshot.

Presentation beside the views (lobbies/export_views.py). Marks are runs of slots given as
times in the lobby's zone (a weekly lobby's as weekday names), votes by place name.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from lobbies import weekly
from lobbies.answers import answers_of, spec_for
from lobbies.grid import GridSpec
from lobbies.snapshot import LobbySnapshot

YES, MAYBE = "yes", "if need be"
CSV_COLUMNS = ("participant", "record", "day", "start", "end", "answer", "place", "text", "at")


@dataclass(frozen=True)
class Run:
    """Consecutive slots of one day with the same answer."""

    day: str
    start: str
    end: str
    answer: str


def _day_text(spec: GridSpec, index: int) -> str:
    day = spec.wall_start(index).date()
    if weekly.is_reference(day):
        return weekly.WEEKDAY_NAMES[day.isoweekday() - 1]
    return day.isoformat()


def _runs(spec: GridSpec, slots: frozenset[int], answer: str) -> list[Run]:
    runs: list[Run] = []
    ordered = sorted(slots)
    begin = previous = None
    for index in [*ordered, None]:
        same_day = (
            index is not None
            and previous is not None
            and index == previous + 1
            and spec.slot_position(index)[0] == spec.slot_position(previous)[0]
        )
        if same_day:
            previous = index
            continue
        if begin is not None:
            end = spec.wall_end(previous)
            runs.append(
                Run(
                    _day_text(spec, begin),
                    spec.wall_start(begin).strftime("%H:%M"),
                    "24:00"
                    if end.date() > spec.wall_start(begin).date()
                    else end.strftime("%H:%M"),
                    answer,
                )
            )
        begin = previous = index
    return runs


def _marks(snapshot: LobbySnapshot, spec: GridSpec, participant_id: str) -> list[Run]:
    marks = answers_of(snapshot).get(participant_id)
    if marks is None:
        return []
    runs = _runs(spec, marks[0], YES) + _runs(spec, marks[1], MAYBE)
    return sorted(runs, key=lambda run: (run.day, run.start))


def _votes(snapshot: LobbySnapshot, participant) -> list[dict]:
    votes = participant.votes.as_dict() if hasattr(participant.votes, "as_dict") else {}
    names = {place.place_id: place.name for place in snapshot.places}
    return [
        {"place": names[place_id], "vote": value}
        for place_id, value in votes.items()
        if place_id in names
    ]


def _comments(snapshot: LobbySnapshot, participant_id: str | None = None) -> list[dict]:
    return [
        {
            "author": comment.author_id,
            "text": comment.text,
            "at": comment.created_at.isoformat(),
        }
        for comment in getattr(snapshot, "comments", ())
        if participant_id is None or comment.author_id == participant_id
    ]


def _lobby(snapshot: LobbySnapshot) -> dict:
    lobby = snapshot.lobby
    data = {
        "code": snapshot.code,
        "title": lobby.title,
        "description": lobby.description,
        "time_zone": lobby.timezone,
        "schedule": getattr(lobby, "schedule", weekly.DATES) or weekly.DATES,
        "status": lobby.status,
        "deletes_at": int(lobby.expires_at) if lobby.expires_at else None,
    }
    if weekly.is_weekly(lobby):
        data["weekdays"] = [weekly.WEEKDAY_NAMES[int(n) - 1] for n in lobby.weekdays or ()]
    else:
        data["dates"] = list(lobby.dates)
    return data


def _person(snapshot: LobbySnapshot, spec: GridSpec, participant_id: str) -> dict:
    person = snapshot.participants[participant_id]
    return {
        "id": participant_id,
        "name": person.shown_name,
        "organizer": snapshot.is_organizer(participant_id),
        "joined_at": person.joined_at.isoformat(),
        "answered_at": person.answered_at.isoformat() if person.answered_at else None,
        "availability": [run.__dict__ for run in _marks(snapshot, spec, participant_id)],
        "votes": _votes(snapshot, person),
    }


def my_data(snapshot: LobbySnapshot, participant_id: str) -> dict:
    """One participant's answers: their marks, their votes and their comments."""
    spec = spec_for(snapshot.lobby)
    return {
        "lobby": _lobby(snapshot),
        "you": _person(snapshot, spec, participant_id),
        "comments": _comments(snapshot, participant_id),
    }


def lobby_data(snapshot: LobbySnapshot) -> dict:
    """Everything in the lobby, for its organizer."""
    spec = spec_for(snapshot.lobby)
    return {
        "lobby": _lobby(snapshot),
        "places": [
            {"name": p.name, "address": p.address, "link": p.link, "note": p.note}
            for p in snapshot.places
        ],
        "participants": [_person(snapshot, spec, pid) for pid in snapshot.participants],
        "comments": _comments(snapshot),
    }


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_csv(data: dict) -> str:
    """One row per mark, vote and comment, each naming its participant."""
    people = data.get("participants") or [data["you"]]
    names = {person["id"]: person["name"] for person in people}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for person in people:
        for run in person["availability"]:
            row = [run["day"], run["start"], run["end"], run["answer"], "", "", ""]
            writer.writerow([person["name"], "availability", *row])
        for vote in person["votes"]:
            writer.writerow(
                [person["name"], "vote", "", "", "", vote["vote"], vote["place"], "", ""]
            )
    for comment in data["comments"]:
        author = names.get(comment["author"], comment["author"])
        writer.writerow([author, "comment", "", "", "", "", "", comment["text"], comment["at"]])
    return buffer.getvalue()
