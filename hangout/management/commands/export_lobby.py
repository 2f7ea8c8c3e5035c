from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hangout import transfer
from lobbies.codes import display_code, normalize_code
from lobbies.errors import LobbyNotFound


class Command(BaseCommand):
    help = (
        "Write every item of one lobby (expired or not) to JSON, as DynamoDB's typed JSON, so "
        "import_lobby restores the same lobby. Reads only."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The lobby's code, e.g. ABCD-EFGH (any case).")
        parser.add_argument(
            "-o",
            "--output",
            help="File to write (default: standard output).",
        )

    def handle(self, *args, code: str, output: str | None, **options):
        canonical = normalize_code(code)
        if canonical is None:
            raise CommandError(f"{code!r} is not a lobby code (8 letters and digits).")
        try:
            text = transfer.export_json(canonical)
        except LobbyNotFound as error:
            raise CommandError(f"There is no lobby {display_code(canonical)}.") from error
        if output is None:
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        items = text.count('"pk":')
        self.stderr.write(
            self.style.SUCCESS(
                f"Exported lobby {display_code(canonical)} ({items} items) to {output}."
            )
        )
