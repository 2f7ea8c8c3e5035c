from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from lobbies.codes import display_code
from voting.emails import reminders

log = logging.getLogger(__name__)


class Command(BaseCommand):
    """Email the reminders that are due (voting/emails/reminders.py explains who gets one, and why
    the link goes through sign-in rather than a personal-link token).

    Meant to run on a schedule (every few minutes, beside settle_due_lobbies). Idempotent,
    even when two runs overlap: each reminder is claimed on its participant item with a
    conditional write (`reminded_at` must not exist) before the email goes out, so none is
    sent twice. It finds due lobbies with a paginated Scan of the table, filtered on the
    reminder time, status and deadline: fine for an operator's scheduled task, never done on
    a visitor's request.
    """

    help = (
        "Email each participant with a verified address who has not answered a reminder, "
        "once, at the time the organizer chose before the deadline. Safe to run often and "
        "in parallel: a reminder already sent is never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say how many reminders are due; record and send nothing.",
        )

    def handle(self, *args, dry_run: bool, **options):
        now = datetime.now(UTC)
        codes = reminders.due_lobby_codes(now)
        sent = failed = 0
        for code in codes:
            try:
                outcome = reminders.remind_lobby(code, now, dry_run=dry_run)
            except Exception as error:
                failed += 1
                log.exception("reminders failed", extra={"lobby": code})
                self.stderr.write(f"Failed {display_code(code)}: {error}")
                continue
            sent += outcome.sent
            if outcome.sent or outcome.already:
                verb = "would remind" if dry_run else "reminded"
                self.stdout.write(
                    f"{display_code(code)}: {verb} {outcome.sent}; "
                    f"{outcome.already} reminded by another run."
                )
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(self.style.SUCCESS(f"{verb} {sent} reminders in {len(codes)} lobbies."))
        if failed:
            raise CommandError(f"{failed} lobbies' reminders failed; see the log.")
