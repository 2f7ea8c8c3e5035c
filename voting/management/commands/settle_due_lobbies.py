from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from lobbies.codes import display_code
from lobbies.errors import LobbyError, LobbyNotFound
from lobbies.store import load_lobby
from voting import decisions, settling

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        'Settle every lobby whose organizer chose "settle automatically" and whose deadline '
        "has passed, on the recommended time and place, and email the participants. Meant to "
        "run on a schedule (every few minutes). Idempotent: a settled lobby is never settled "
        "again, so running it twice, or beside an organizer settling by hand, is safe. "
        "It finds due lobbies with a paginated Scan of the table (filtered on auto_settle, "
        "status and deadline): fine for an operator's scheduled task, and never done on a "
        "visitor's request. A lobby where nobody marked a time that works is left open and "
        "reported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say what would be settled; change nothing and send no email.",
        )

    def handle(self, *args, dry_run: bool, **options):
        now = datetime.now(UTC)
        codes = decisions.due_lobby_codes(now)
        settled = skipped = failed = 0
        for code in codes:
            try:
                outcome = self._settle_one(code, dry_run)
            except Exception as error:
                failed += 1
                log.exception("auto-settle failed", extra={"lobby": code})
                self.stderr.write(f"Failed {display_code(code)}: {error}")
                continue
            if outcome:
                settled += 1
            else:
                skipped += 1
        verb = "Would settle" if dry_run else "Settled"
        summary = f"{verb} {settled} lobbies; skipped {skipped}."
        if not codes:
            summary = "No lobbies are due to settle."
        self.stdout.write(self.style.SUCCESS(summary))
        if failed:
            raise CommandError(f"{failed} lobbies could not be settled; see the log.")

    def _settle_one(self, code: str, dry_run: bool) -> bool:
        label = display_code(code)
        try:
            snapshot = load_lobby(code)
        except LobbyNotFound:
            self.stdout.write(f"Skipped {label}: the lobby is gone.")
            return False
        title = snapshot.lobby.title
        best = decisions.recommendation(snapshot, top=1)
        if best.window is None:
            self.stdout.write(
                f"Skipped {label} “{title}”: nobody marked a time that works; "
                "the organizer has to settle it."
            )
            return False
        place = snapshot.place(best.place.place_id) if best.place else None
        where = f" at {place.name}" if place else " (no place)"
        zone = ZoneInfo(snapshot.lobby.timezone)
        start = best.window.start.astimezone(zone)
        end = best.window.end.astimezone(zone)
        when = f"{start:%a %d %b %Y %H:%M}–{end:%H:%M} {snapshot.lobby.timezone}"
        if dry_run:
            self.stdout.write(f"Would settle {label} “{title}”: {when}{where}.")
            return True
        try:
            sent = settling.settle_automatically(snapshot)
        except LobbyError as error:
            # Most likely the organizer settled it a moment ago.
            self.stdout.write(f"Skipped {label} “{title}”: {error.message}")
            return False
        self.stdout.write(f"Settled {label} “{title}”: {when}{where}; {sent} emails sent.")
        return True
