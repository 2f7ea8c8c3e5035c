from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from hangout import operations


class Command(BaseCommand):
    help = (
        "Count what the table holds: lobbies by state (open, locked, settled, expired), "
        "participants and places. Scans the table, so it reads every item once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print the counts as JSON."
        )

    def handle(self, *args, as_json: bool, **options):
        counts = operations.table_stats().as_dict()
        if as_json:
            self.stdout.write(json.dumps(counts, indent=2))
            return
        self.stdout.write(f"Lobbies: {counts['lobbies']}")
        for state, count in counts["lobbies_by_state"].items():
            self.stdout.write(f"  {state:<8} {count}")
        self.stdout.write(
            f"Participants: {counts['participants']} ({counts['signed_in_participants']} signed in)"
        )
        self.stdout.write(f"Places: {counts['places']} ({counts['place_markers']} name markers)")
        if counts["other_items"]:
            self.stdout.write(f"Other items: {counts['other_items']}")
