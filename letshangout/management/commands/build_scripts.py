"""Writes the page scripts as browsers get them: static/js/*.js without their comment
lines, into static/build/js/.

The comments explain the source to its readers; no browser needs them, and leaving them out
keeps the lobby page within its JavaScript budget (25 KB gzipped, most of it htmx). Only
whole lines that start with `//` go: nothing else in the scripts changes, so the built file
behaves exactly as its source. Run before collectstatic: the image build, `make run`,
`make test` and the bench and smoke stacks do.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

SOURCE_DIR = Path(settings.BASE_DIR) / "static" / "js"
BUILD_DIR = Path(settings.BASE_DIR) / "static" / "build" / "js"
_COMMENT_LINE = re.compile(r"^[ \t]*//.*\n", re.MULTILINE)


def served_script(source: str) -> str:
    return _COMMENT_LINE.sub("", source)


class Command(BaseCommand):
    help = "Write static/build/js/*.js: the page scripts without their comment lines."

    def handle(self, *args, **options) -> None:
        BUILD_DIR.mkdir(parents=True, exist_ok=True)
        for path in sorted(SOURCE_DIR.glob("*.js")):
            built = BUILD_DIR / path.name
            built.write_text(served_script(path.read_text(encoding="utf-8")), encoding="utf-8")
            if options["verbosity"] > 0:
                self.stdout.write(f"{built.relative_to(settings.BASE_DIR)}")
