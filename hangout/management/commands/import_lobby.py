from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hangout import transfer
from lobbies.codes import display_code


class Command(BaseCommand):
    help = (
        "Restore a lobby from a file written by export_lobby. Importing the same file again "
        "changes nothing; over a lobby that differs it refuses unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export's path, or - for standard input.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a different lobby with the same code (its extra items go).",
        )

    def handle(self, *args, file: str, replace: bool, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            report = transfer.import_lobby(data, replace=replace)
        except transfer.TransferError as error:
            raise CommandError(error.message) from error
        code = display_code(report.code)
        if report.unchanged:
            self.stdout.write(self.style.SUCCESS(f"Lobby {code} is already as in the file."))
            return
        removed = f", removed {report.removed} items not in the file" if report.removed else ""
        self.stdout.write(
            self.style.SUCCESS(f"Imported lobby {code}: wrote {report.written} items{removed}.")
        )
