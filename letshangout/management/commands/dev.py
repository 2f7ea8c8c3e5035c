from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from letshangout import dynamo, dynamo_local


class Command(BaseCommand):
    help = (
        "Serve the app for development: starts a persisted DynamoDB Local (var/dynamodb) "
        "unless one already answers, creates the table, migrates, then runs the dev server."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        port = settings.DYNAMODB_LOCAL_PORT
        local = None
        if dynamo_local.is_ready(port):
            self.stdout.write(f"• DynamoDB Local already answers on port {port}; using it.")
        else:
            db_path = Path(settings.VAR_DIR) / "dynamodb"
            self.stdout.write(f"• Starting DynamoDB Local on port {port} (data in {db_path})…")
            try:
                local = dynamo_local.start(port, db_path)
            except dynamo_local.DynamoLocalError as error:
                raise CommandError(str(error)) from error
        try:
            self.stdout.write("• Creating the DynamoDB table if needed…")
            dynamo.create_table()
            self.stdout.write("• Applying database migrations…")
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write(self.style.SUCCESS(f"• LetsHangOut is at http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if local is not None:
                local.stop()
                self.stdout.write("• DynamoDB Local stopped; your lobbies are kept in var/.")
