from __future__ import annotations

from django.core.management.base import BaseCommand

from hangout import operations
from lobbies.codes import display_code


class Command(BaseCommand):
    help = (
        "Delete expired lobbies (past their expires_at) with every item now, instead of "
        "waiting for DynamoDB's TTL, which can take days. Lobbies still live are never "
        "touched. Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say what would be deleted.",
        )

    def handle(self, *args, dry_run: bool, verbosity: int, **options):
        report = operations.purge_expired(dry_run=dry_run)
        if verbosity >= 2:
            for code in report.codes:
                self.stdout.write(f"  {display_code(code)}")
        verb = "Would delete" if dry_run else "Deleted"
        summary = (
            f"{verb} {len(report.codes)} expired lobbies ({report.items} items)."
            if report.codes
            else "No expired lobbies."
        )
        if report.skipped_live:
            summary += f" Left {report.skipped_live} live lobbies with stale items alone."
        self.stdout.write(self.style.SUCCESS(summary))
