"""Writes Django's JavaScript catalog of each language as a static file.

static/jsi18n/<language>/djangojs.js holds only this project's djangojs strings
(locale/<language>/LC_MESSAGES/djangojs.po) and the two functions the scripts call,
gettext and ngettext: a static file keeps the CSP free of inline script, and a small one
keeps the lobby page within its JavaScript budget. English, the source language, needs
no catalog (static/js/app.js falls back to the English text).

Run before collectstatic: the image build, `make run`, `make test` and the bench and
smoke stacks do.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

from letshangout.templatetags.local_i18n import catalog_path

OUTPUT_DIR = Path(settings.BASE_DIR) / "static"
_PLURAL = re.compile(r"plural=(?P<expr>[^;]+);?")
_SAFE_PLURAL = re.compile(r"^[\sn0-9!=<>%&|?:()]+$")


def plural_expression(po: polib.POFile) -> str:
    """The catalog's plural rule as a JavaScript expression of n (C and JS agree on it)."""
    found = _PLURAL.search(po.metadata.get("Plural-Forms", ""))
    expression = found["expr"].strip() if found else "n != 1"
    if not _SAFE_PLURAL.match(expression):
        raise ValueError(f"unexpected plural rule: {expression}")
    return expression


def catalog_entries(po: polib.POFile) -> dict[str, str | list[str]]:
    """msgid -> translation (a list of forms for plurals); untranslated and fuzzy entries
    are left out, so their English shows."""
    entries: dict[str, str | list[str]] = {}
    for entry in po.translated_entries():
        if entry.msgctxt:
            continue  # the scripts call no pgettext
        if entry.msgid_plural:
            entries[entry.msgid] = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
        else:
            entries[entry.msgid] = entry.msgstr
    return entries


def catalog_script(po: polib.POFile, source: str) -> str:
    data = json.dumps(catalog_entries(po), ensure_ascii=False, separators=(",", ":"))
    return (
        f"// Built by `manage.py build_js_catalogs` from {source}: do not edit.\n"
        "(function(c,p){"
        "window.gettext=function(s){var t=c[s];return t==null?s:typeof t=='string'?t:t[0]};"
        "window.ngettext=function(s,q,n){var t=c[s];return t==null?(n==1?s:q):t[+p(n)]||t[0]}"
        f"}})({data},function(n){{return {plural_expression(po)}}});\n"
    )


class Command(BaseCommand):
    help = "Write static/jsi18n/<language>/djangojs.js for every language but the source one."

    def handle(self, *args, **options) -> None:
        written = []
        wanted = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
        root = OUTPUT_DIR / "jsi18n"
        for language in sorted(wanted):
            locale = Path(settings.LOCALE_PATHS[0]) / to_locale(language)
            po_path = locale / "LC_MESSAGES" / "djangojs.po"
            if not po_path.exists():
                continue
            source = po_path.relative_to(settings.BASE_DIR).as_posix()
            target = OUTPUT_DIR / catalog_path(language)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(catalog_script(polib.pofile(str(po_path)), source), "utf-8")
            written.append(language)
        # A language taken out of LANGUAGES leaves no catalog behind.
        if root.exists():
            for folder in root.iterdir():
                if folder.is_dir() and folder.name not in wanted:
                    shutil.rmtree(folder)
        self.stdout.write(f"JavaScript catalogs: {', '.join(written) or 'none'}")
