"""The journeys once more with a German browser (`locale="de-DE"`): every page in German, no
console errors, axe clean, and no text overflowing at 375 px (German words are long)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.helpers import PHONE
from tests.browser.test_accessibility import BLOCKING, answered_lobby, audit, readable
from tests.voting_support import reload
from voting import decisions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["answered_lobby"]  # the fixture, shared with the accessibility audit

GERMAN = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}}
CATALOG = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"

# Text that does not fit: an element with text of its own that is wider than its box, or
# that reaches past the 375 px screen. Scrolling grids and screen-reader-only text are meant
# to overflow. (Mobile chromium widens the layout viewport to fit content, so the screen's
# width is given, not read.)
OVERFLOW_SCRIPT = """width => {
  const skip = ".grid-scroll, .visually-hidden, .skip-link, select, option, script, style";
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(skip)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.display === "none" || style.visibility === "hidden") continue;
    const box = el.getBoundingClientRect();
    const clipped = style.overflowX === "visible" && el.scrollWidth > el.clientWidth + 1;
    if ((clipped && el.clientWidth) || box.right > width + 1) {
      bad.push(el.tagName.toLowerCase() + "." + el.className + ": " +
        el.textContent.trim().replace(/\\s+/g, " ").slice(0, 60));
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module", autouse=True)
def compiled_messages():
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    call_command("compilemessages", ignore_patterns=[".venv", "node_modules"], verbosity=0)
    call_command("compilejsi18n", verbosity=0)


def english_phrases() -> list[str]:
    """Our English sentences whose German differs: none may show on a German page."""
    phrases = []
    for entry in polib.pofile(str(CATALOG)):
        text = entry.msgid
        if "%" in text or "<" in text or len(text) < 12 or " " not in text:
            continue
        if entry.msgstr == text:
            continue
        phrases.append(text)
    return phrases


class GermanBrowser:
    """One German person's tab: remembers console errors and what each page got wrong."""

    def __init__(self, context, phrases: list[str]):
        self.page = context.new_page()
        self.phrases = phrases
        self.errors: list[str] = []
        self.problems: list[str] = []
        self.page.on("console", self.console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def console(self, message) -> None:
        # A 404 or 400 page is itself reported as a failed load: only other failures count.
        own = message.location.get("url") == self.page.url
        if message.type == "error" and not (own and "Failed to load resource" in message.text):
            self.errors.append(f"{self.page.url}: {message.text}")

    def visit(self, path: str, name: str, *, narrow: bool = False) -> None:
        self.page.goto(path)
        self.check(name, narrow=narrow)

    def check(self, name: str, *, narrow: bool = False) -> None:
        page = self.page
        page.wait_for_load_state("load")
        lang = page.evaluate("document.documentElement.lang")
        if lang != "de":
            self.problems.append(f"{name}: <html lang={lang!r}>")
        text = page.evaluate("document.body.innerText")
        english = [phrase for phrase in self.phrases if phrase in text]
        if english:
            self.problems.append(f"{name}: English left: {english[:5]}")
        if narrow:
            overflow = page.evaluate(OVERFLOW_SCRIPT, PHONE["viewport"]["width"])
            if overflow:
                self.problems.append(f"{name}: text overflows: {overflow[:5]}")


def test_german_journey(new_context, seat, answered_lobby):
    code, organizer, ann, start, sushi = answered_lobby
    phrases = english_phrases()
    found: list[dict] = []

    visitor = GermanBrowser(new_context(**GERMAN), phrases)
    for name, path in [
        ("home", "/"),
        ("create", "/lobbies/new/"),
        ("join", f"/l/{code}/"),
        ("not found", "/l/ABCDEFGH/"),
    ]:
        visitor.visit(path, name)
    visitor.page.goto("/lobbies/new/")
    visitor.page.get_by_role("button", name="Lobby erstellen").last.click()
    visitor.check("create with errors")
    # allauth's pages come in German from allauth's own translations.
    visitor.visit("/accounts/login/", "sign-in")
    sign_in = visitor.page.inner_text("main")
    assert "Passwort" in sign_in and "Password" not in sign_in, sign_in
    visitor.visit("/accounts/signup/", "sign-up")

    organizer_context = new_context(**GERMAN)
    seat(organizer_context, code, organizer.participant_id)
    olivia = GermanBrowser(organizer_context, phrases)
    olivia.visit(f"/l/{code}/", "lobby (organizer)")
    assert olivia.page.get_by_role("heading", name="Wann passt es dir?").count()
    olivia.visit(f"/l/{code}/settle/", "settle form")

    phone_context = new_context(**GERMAN, **PHONE)
    seat(phone_context, code, ann.participant_id)
    phone = GermanBrowser(phone_context, phrases)
    phone.visit(f"/l/{code}/", "lobby on a phone", narrow=True)
    phone.visit("/", "home on a phone", narrow=True)
    phone.visit("/lobbies/new/", "create on a phone", narrow=True)

    decisions.settle(reload(code), organizer.participant_id, start, sushi.place_id)
    olivia.visit(f"/l/{code}/", "settled lobby (organizer)")
    phone.visit(f"/l/{code}/", "settled lobby on a phone", narrow=True)
    assert phone.page.get_by_text("Es steht fest!").count()

    problems = visitor.problems + olivia.problems + phone.problems
    errors = visitor.errors + olivia.errors + phone.errors
    assert not problems, "\n".join(problems)
    assert not errors, "console errors:\n" + "\n".join(errors)

    # axe on the same pages, German text and all (axe is injected, so CSP is bypassed).
    audited = new_context(bypass_csp=True, **GERMAN)
    seat(audited, code, organizer.participant_id)
    page = audited.new_page()
    for name, path in [("home", "/"), ("create", "/lobbies/new/"), ("lobby", f"/l/{code}/")]:
        page.goto(path)
        found += audit(page, f"{name} (de)")
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, "axe found serious or critical violations:" + readable(blocking)


def test_german_week_starts_on_monday(new_context):
    page = new_context(**GERMAN).new_page()
    page.goto("/lobbies/new/")
    first = page.locator(".month-grid .weekday").first.inner_text()
    assert re.fullmatch(r"Mo\.?", first.strip())


def test_switching_language_without_javascript(new_context):
    page = new_context(java_script_enabled=False, **GERMAN).new_page()
    page.goto("/")
    page.get_by_label("Sprache").select_option("fr")
    page.get_by_role("button", name="Sprache ändern").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Changer de langue")).to_be_visible()
