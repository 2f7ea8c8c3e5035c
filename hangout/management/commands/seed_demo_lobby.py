from __future__ import annotations

import json
import random
import re

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from hangout import demo
from lobbies.people.seats import MAX_PARTICIPANTS
from voting.services import MAX_PLACES

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def minutes(text: str) -> int:
    """HH:MM to minutes after midnight; 24:00 is the midnight that ends the day."""
    match = _TIME.match(text)
    if not match or int(match[2]) >= 60 or int(match[1]) * 60 + int(match[2]) > 1440:
        raise ValueError(f"{text!r} is not a time like 08:00 or 24:00")
    return int(match[1]) * 60 + int(match[2])


class Command(BaseCommand):
    help = (
        "Create a demo lobby whose participants have answered: random availability on the "
        "grid, places and votes. For trying the app and for benchmarks. Prints the new "
        "lobby's code on standard output (details on standard error); each run makes a new "
        "lobby and touches nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=12, help="Default: 12.")
        parser.add_argument("--days", type=int, default=7, help="Candidate days, from tomorrow.")
        parser.add_argument(
            "--slot", type=int, default=30, choices=[15, 30, 60], help="Slot length in minutes."
        )
        parser.add_argument("--start", default="18:00", help="Earliest start (default 18:00).")
        parser.add_argument("--end", default="23:00", help="Latest end, 24:00 for midnight.")
        parser.add_argument("--meeting", type=int, default=120, help="Meeting length, minutes.")
        parser.add_argument("--places", type=int, default=5, help="Default: 5.")
        parser.add_argument("--timezone", default="UTC", help="IANA name, default UTC.")
        parser.add_argument("--title", default="Demo lobby")
        parser.add_argument("--seed", type=int, help="Random seed, for the same answers again.")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print JSON with the code and every participant's personal link instead.",
        )

    def handle(self, *args, **options):
        try:
            day_start, day_end = minutes(options["start"]), minutes(options["end"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self._check_counts(options)
        try:
            report = demo.seed_demo(
                participants=options["participants"],
                days=options["days"],
                slot_minutes=options["slot"],
                day_start=day_start,
                day_end=day_end,
                places=options["places"],
                timezone=options["timezone"],
                title=options["title"],
                meeting_minutes=options["meeting"],
                rng=random.Random(options["seed"]),
            )
        except ValueError as error:  # the grid refused the window, slot or zone
            raise CommandError(str(error)) from error
        links = [
            {
                "participant_id": p.participant_id,
                "name": p.display_name,
                "link": reverse("lobbies:personal_link", args=[report.code, p.token]),
            }
            for p in report.participants
        ]
        if options["as_json"]:
            self.stdout.write(json.dumps({"code": report.code, "participants": links}, indent=2))
            return
        self.stderr.write(
            f"Created demo lobby {report.code}: {len(report.participants)} participants who "
            f"answered on {report.slots} slots, {report.places} places with votes."
        )
        self.stderr.write(f"Organizer's personal link: {links[0]['link']}")
        self.stdout.write(report.code)

    @staticmethod
    def _check_counts(options) -> None:
        if not 1 <= options["participants"] <= MAX_PARTICIPANTS:
            raise CommandError(f"--participants must be between 1 and {MAX_PARTICIPANTS}.")
        if not 1 <= options["days"] <= 31:
            raise CommandError("--days must be between 1 and 31.")
        if not 0 <= options["places"] <= MAX_PLACES:
            raise CommandError(f"--places must be between 0 and {MAX_PLACES}.")
