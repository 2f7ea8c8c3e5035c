"""Taking your data with you: a participant's own answers, or the organizer's whole lobby, as
JSON and CSV, from one snapshot.

Presentation beside the views (lobbies/exports/views.py). Marks are runs of slots given as
times in the lobby's zone (a weekly lobby's as weekday names), votes by place name, and every
instant in the lobby's zone to the minute, with its offset. The CSV names that zone on each
row with a time, and starts with a byte-order mark so that spreadsheets read it as UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lobbies.availability import weekly
from lobbies.availability.answers import answers_of, spec_for
from lobbies.availability.grid import GridSpec
from lobbies.exports import headings as export_labels
from lobbies.snapshot import LobbySnapshot

YES, MAYBE, NO = "yes", "if need be", "no"
CSV_COLUMNS = (
    "participant",
    "record",
    "day",
    "start",
    "end",
    "answer",
    "place",
    "text",
    "at",
    "time_zone",
    # A settled weekly lobby's decision row: "weekly", and its last date or number of times.
    "repeats",
    "repeat_until",
    "repeat_count",
)
# The columns whose machine values the CSV shows in the downloader's language.
HUMAN_COLUMNS = ("record", "day", "answer", "repeats")
# Exports are data rather than pages: names are keys like weekly.WEEKDAY_NAMES.
FORMER_PARTICIPANT = "Former participant"
# Excel reads a CSV file without one as the machine's ANSI code page ("Zoë" as "ZoÃ«").
BYTE_ORDER_MARK = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) can leak
# or mislead); names, places and comments are typed by anyone with the link.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def _moment(when: datetime | None, tz: str) -> str | None:
    """An instant as the files give it: in the lobby's zone, to the minute, with the offset
    (2026-12-07T00:25+01:00)."""
    return when.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") if when else None


def _comments(snapshot: LobbySnapshot, participant_id: str | None = None) -> list[dict]:
    tz = snapshot.lobby.timezone
    rows = []
    for comment in snapshot.comments:
        if participant_id is not None and comment.author_id != participant_id:
            continue
        author = snapshot.participant(comment.author_id)
        rows.append(
            {
                "author": author.display_name if author else FORMER_PARTICIPANT,
                "author_id": comment.author_id,
                "text": comment.text,
                "at": _moment(comment.created_at, tz),
            }
        )
    return rows


def _decision(snapshot: LobbySnapshot) -> dict | None:
    """What the lobby settled on: when (in its zone), where, and how it repeats."""
    lobby = snapshot.lobby
    decision = lobby.decision
    if lobby.status != "settled" or decision is None:
        return None
    place = snapshot.place(decision.place_id)
    return {
        "starts_at": _moment(decision.starts_at, lobby.timezone),
        "ends_at": _moment(decision.ends_at, lobby.timezone),
        "all_day": bool(decision.all_day),
        "place": {"name": place.name, "address": place.address, "link": place.link}
        if place
        else None,
        "repeat": _repeat(weekly.repeat_of(decision)),
        "settled_at": _moment(decision.settled_at, lobby.timezone),
    }


def _repeat(repeat: weekly.Repeat | None) -> dict | None:
    if repeat is None:
        return None
    return {
        "every": "week",
        "weekday": weekly.WEEKDAY_NAMES[repeat.first.isoweekday() - 1],
        "first_date": repeat.first.isoformat(),
        "until_date": repeat.until.isoformat() if repeat.until else None,
        "count": repeat.count,
    }


def _lobby(snapshot: LobbySnapshot) -> dict:
    lobby = snapshot.lobby
    data = {
        "code": snapshot.code,
        "title": lobby.title,
        "description": lobby.description,
        "time_zone": lobby.timezone,
        "schedule": getattr(lobby, "schedule", weekly.DATES) or weekly.DATES,
        "status": lobby.status,
        "decision": _decision(snapshot),
        "deletes_at": _moment(_from_epoch(lobby.expires_at), lobby.timezone),
    }
    if weekly.is_weekly(lobby):
        data["weekdays"] = [weekly.WEEKDAY_NAMES[int(n) - 1] for n in lobby.weekdays or ()]
    else:
        data["dates"] = list(lobby.dates)
    return data


def _from_epoch(seconds) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


def _person(snapshot: LobbySnapshot, spec: GridSpec, participant_id: str) -> dict:
    person = snapshot.participants[participant_id]
    return {
        "id": participant_id,
        "name": person.shown_name,
        "organizer": snapshot.is_organizer(participant_id),
        "joined_at": _moment(person.joined_at, snapshot.lobby.timezone),
        "answered_at": _moment(person.answered_at, snapshot.lobby.timezone),
        "answered": participant_id in answers_of(snapshot),
        "availability": [run.__dict__ for run in _marks(snapshot, spec, participant_id)],
        "votes": _votes(snapshot, person),
    }


def my_data(snapshot: LobbySnapshot, participant_id: str) -> dict:
    """One participant's answers: their marks, their votes and their comments."""
    spec = spec_for(snapshot.lobby)
    return {
        "lobby": _lobby(snapshot),
        "you": {**_person(snapshot, spec, participant_id), **_own_email(snapshot, participant_id)},
        "comments": _comments(snapshot, participant_id),
        "labels": export_labels.labels(),
    }


def _own_email(snapshot: LobbySnapshot, participant_id: str) -> dict:
    """A guest's address for the lobby's emails: in their own download only, never in the
    organizer's (nor shown to anyone else)."""
    person = snapshot.participants[participant_id]
    if not person.guest_email:
        return {}
    return {
        "email": person.guest_email,
        "email_confirmed": person.guest_email_verified_at is not None,
    }


def lobby_data(snapshot: LobbySnapshot) -> dict:
    """Everything in the lobby, for its organizer (without anyone's email address)."""
    spec = spec_for(snapshot.lobby)
    return {
        "lobby": _lobby(snapshot),
        "places": [
            {"name": p.name, "address": p.address, "link": p.link, "note": p.note}
            for p in snapshot.places
        ],
        "participants": [_person(snapshot, spec, pid) for pid in snapshot.participants],
        "comments": _comments(snapshot),
        "labels": export_labels.labels(),
    }


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_csv(data: dict) -> str:
    """One row per mark, vote and comment, each naming its participant; a person with no
    marks gets one row saying so, and a settled lobby a row of its decision."""
    people = data.get("participants") or [data["you"]]
    tz = data["lobby"]["time_zone"]
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    headings = export_labels.column_names()
    writer.writerow([headings[column] for column in CSV_COLUMNS])
    decision = data["lobby"]["decision"]
    if decision is not None and decision["starts_at"]:
        writer.writerow(_decision_row(decision, tz))
    for person in people:
        for run in person["availability"] or [_no_marks(person)]:
            times = (tz,) if run["start"] else ("",)
            row = [run["day"], run["start"], run["end"], run["answer"], "", "", "", *times]
            writer.writerow([person["name"], "availability", *row])
        for vote in person["votes"]:
            row = ["", "", "", vote["vote"], vote["place"], "", "", ""]
            writer.writerow([person["name"], "vote", *row])
        if person.get("email"):
            state = "confirmed" if person["email_confirmed"] else "not confirmed"
            writer.writerow([person["name"], "email", "", "", "", state, "", person["email"]])
    for comment in data["comments"]:
        row = ["", "", "", "", "", comment["text"], comment["at"], tz]
        writer.writerow([comment["author"], "comment", *row])
    return BYTE_ORDER_MARK + buffer.getvalue()


def neutralised(cell: str) -> str:
    """A cell as text a spreadsheet will not evaluate: OWASP's leading single quote."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


class _SafeWriter:
    """A CSV writer whose rows all have every column, so readers never meet a short row, and
    whose every cell goes through `neutralised`, so no column can be forgotten."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._writer = csv.writer(buffer)
        self._words = export_labels.cell_words()
        self._human = {CSV_COLUMNS.index(column) for column in HUMAN_COLUMNS}

    def writerow(self, row) -> None:
        padded = [*row, *[""] * (len(CSV_COLUMNS) - len(row))]
        shown = [
            self._words.get(cell, cell) if index in self._human else cell
            for index, cell in enumerate(padded)
        ]
        self._writer.writerow([neutralised(cell) for cell in shown])


def _no_marks(person: dict) -> dict:
    """Someone who has not answered (empty answer), or who answered that no time works."""
    answer = NO if person["answered"] else ""
    return {"day": "", "start": "", "end": "", "answer": answer}


def _decision_row(decision: dict, tz: str) -> list[str]:
    starts = datetime.fromisoformat(decision["starts_at"])
    ends = datetime.fromisoformat(decision["ends_at"])
    day = starts.date().isoformat()
    if decision["all_day"]:
        start = end = ""
    else:
        start, end = f"{starts:%H:%M}", "24:00" if ends.date() > starts.date() else f"{ends:%H:%M}"
    place = decision["place"]["name"] if decision["place"] else ""
    row = ["", "decision", day, start, end, "", place, "", decision["settled_at"], tz]
    return row + _repeat_cells(decision["repeat"])


def _repeat_cells(repeat: dict | None) -> list[str]:
    if repeat is None:
        return ["", "", ""]
    count = repeat["count"]
    return ["weekly", repeat["until_date"] or "", "" if count is None else str(count)]
