"""Translations: every catalog complete, and a French browser gets French everywhere, from the
home page to the settled email; the footer switcher works without JavaScript; a signed-in
user's language follows them into their emails."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from datetime import date
from http import HTTPStatus
from importlib import import_module
from pathlib import Path

import polib
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, translation
from icalendar import Calendar

from letshangout.formats import local_format
from letshangout.models import LanguagePreference
from lobbies import services as lobby_services
from tests.conftest import seat_client
from tests.factories import make_settings
from tests.voting_support import evening_window, reload

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
# Each new language, as a browser asks for it, and the footer's name for it.
NEW_LANGUAGES = {
    "it": ("it-IT,it;q=0.9", "Italiano"),
    "pt-br": ("pt-BR,pt;q=0.9", "Português Brasileiro"),
    "nl": ("nl-NL,nl;q=0.9", "Nederlands"),
    "pl": ("pl-PL,pl;q=0.9", "Polski"),
    "ja": ("ja-JP,ja;q=0.9", "日本語"),
    "ar": ("ar-EG,ar;q=0.9", "العربيّة"),
}
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


@pytest.fixture(scope="module", autouse=True)
def compiled_messages():
    """The .mo files are built, not committed: build them as `make test` does."""
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    call_command("compilemessages", ignore_patterns=[".venv", "node_modules"], verbosity=0)
    call_command("compilejsi18n", verbosity=0)


@pytest.fixture(autouse=True)
def _english_afterwards():
    """Requests leave their language active in this thread: later tests expect English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_every_language_has_both_catalogs():
    languages = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    for language in languages:
        for domain in ("django", "djangojs"):
            directory = LOCALE / translation.to_locale(language) / "LC_MESSAGES"
            assert (directory / f"{domain}.po").exists()


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalog_is_complete(path):
    catalog = polib.pofile(str(path))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert not untranslated, f"{path}: untranslated: {untranslated}"
    assert not fuzzy, f"{path}: fuzzy: {fuzzy}"
    assert catalog.percent_translated() == 100


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalog_compiles_with_matching_placeholders(path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr


def test_every_language_has_its_formats():
    names = ("DAY_FORMAT", "SHORT_DAY_FORMAT", "SHORT_DAY_TIME_FORMAT", "LONG_DATE_FORMAT")
    for code, _name in settings.LANGUAGES:
        module = import_module(f"letshangout.formats.{translation.to_locale(code)}.formats")
        for name in (*names, "FIRST_DAY_OF_WEEK", "TIME_FORMAT", "YEAR_MONTH_FORMAT"):
            assert hasattr(module, name), (code, name)


def test_japanese_and_polish_dates_read_natively():
    day = date(2026, 12, 7)  # a Monday
    with translation.override("ja"):
        assert dateformat.format(day, local_format("DAY_FORMAT")) == "12月7日(月)"
    with translation.override("pl"):
        assert dateformat.format(day, local_format("LONG_DATE_FORMAT")) == "7 grudnia 2026"


@pytest.mark.parametrize("code", NEW_LANGUAGES)
def test_accept_language_picks_each_new_language(client, code):
    header, _name = NEW_LANGUAGES[code]
    response = client.get(reverse("lobbies:home"), HTTP_ACCEPT_LANGUAGE=header)
    body = response.content.decode()
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in body
    assert response["Content-Language"] == code


def test_footer_names_every_language_in_its_own_name(client):
    body = client.get(reverse("lobbies:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    expected = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
    expected |= {code: name for code, (_header, name) in NEW_LANGUAGES.items()}
    assert {code for code, _name in settings.LANGUAGES} == set(expected)
    for code, name in expected.items():
        assert f'<option value="{code}" lang="{code}"' in body
        assert f">{name}</option>" in body


def test_javascript_catalog_is_a_small_static_file():
    script = (Path(settings.BASE_DIR) / "static/jsi18n/fr/djangojs.js").read_text("utf-8")
    assert json.dumps("Enregistré.") in script  # the catalog writes its strings as JSON
    # Only our own scripts' strings: not the admin's (its calendar widget) nor allauth's.
    assert json.dumps("Midnight") not in script
    assert len(gzip.compress(script.encode())) < 2048


# --- a French browser ----------------------------------------------------------------------


def test_home_page_in_french(client):
    response = client.get(reverse("lobbies:home"), **FRENCH)
    body = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in body
    assert "Trouvez un moment et un lieu qui conviennent à tout le monde." in body
    assert "Find a time" not in body
    assert response["Content-Language"] == "fr"
    assert "/static/jsi18n/fr/djangojs.js" in body


def test_english_pages_load_no_catalog(client):
    body = client.get(reverse("lobbies:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "jsi18n" not in body
    assert "Find a time and a place" in body


def test_lobby_page_in_french(organizer_client, lobby):
    response = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]), **FRENCH)
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Quand êtes-vous disponible\u00a0?" in body
    assert "Proposer un lieu" in body
    assert "When can you come?" not in body
    assert 'id="grid-strings"' not in body


def test_htmx_fragment_in_french(organizer_client, lobby):
    response = organizer_client.get(
        reverse("lobbies:group", args=[lobby.code]), HTTP_HX_REQUEST="true", **FRENCH
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in body
    assert "Quand tout le monde peut venir" in body


def test_form_errors_in_french(client, db):
    response = client.post(reverse("lobbies:create"), {"title": ""}, **FRENCH)
    body = response.content.decode()
    assert "Ce champ est obligatoire." in body  # Django's own messages come translated
    assert "This field is required." not in body
    assert "Give your plan a title." not in body


def test_404_in_french(client, db):
    response = client.get(reverse("lobbies:detail", args=["ZZZZZZZZ"]), **FRENCH)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Nous n’avons pas trouvé ce que vous cherchez" in response.content.decode()


def test_429_in_french(client, db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lobby_lookup": (1, 60)}
    statuses = []
    for code in ("ZZZZ2345", "ZZZZ2346", "ZZZZ2347"):
        response = client.get(reverse("lobbies:detail", args=[code]), **FRENCH)
        statuses.append(response.status_code)
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert "Trop de tentatives" in response.content.decode()


def test_503_in_french(organizer_client, lobby, dynamodb_outage):
    with dynamodb_outage():
        response = organizer_client.get(reverse("lobbies:detail", args=[lobby.code]), **FRENCH)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Nous rencontrons des difficultés" in response.content.decode()


def test_dates_follow_the_language(organizer_client, lobby):
    url = reverse("lobbies:create")
    german = organizer_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    spanish = organizer_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    # The month calendar starts its weeks on Monday, with the language's day names.
    assert german.index(">Mo<") < german.index(">So<")
    assert ">lun<" in spanish


# --- choosing a language -------------------------------------------------------------------


def test_switcher_works_without_javascript(client, db):
    home = reverse("lobbies:home")
    page = client.get(home, **FRENCH).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    response = client.post(reverse("set_language"), {"language": "de", "next": home}, **FRENCH)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == home
    after = client.get(home, **FRENCH).content.decode()
    assert '<html lang="de"' in after
    assert "Sprache ändern" in after


def test_signed_in_choice_is_stored_and_follows_the_account(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert LanguagePreference.objects.get(user=user).language == "es"
    other_device = Client()
    other_device.post(
        reverse("account_login"),
        {"login": "sam@example.com", "password": "correct horse battery"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    body = other_device.get(reverse("lobbies:home"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="es"' in body


def test_signing_in_keeps_the_language_of_the_visit(client, user):
    client.post(
        reverse("account_login"),
        {"login": "sam@example.com", "password": "correct horse battery"},
        **FRENCH,
    )
    assert LanguagePreference.objects.get(user=user).language == "fr"


# --- emails and the calendar file ----------------------------------------------------------


@pytest.fixture
def settled_in_french(db, django_user_model):
    """A lobby settled by its organizer, whose account reads French, with a guest who joined
    from a German browser."""
    olivia = django_user_model.objects.create_user(
        username="olivia", email="olivia@example.com", password="correct horse battery"
    )
    EmailAddress.objects.create(user=olivia, email=olivia.email, verified=True, primary=True)
    LanguagePreference.objects.create(user=olivia, language="fr")
    membership = lobby_services.create_lobby(make_settings(title="Apéro"), "Olivia", olivia.pk)
    code = membership.participant.code
    organizer = Client()
    organizer.force_login(olivia)
    seat_client(organizer, code, membership.participant)
    mail.outbox.clear()
    response = organizer.post(
        reverse("voting:settle", args=[code]),
        {"window": evening_window(reload(code), 0, 19), "place": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.OK)
    return {"code": code, "client": organizer}


def test_settled_email_is_in_the_recipients_language(settled_in_french):
    [message] = mail.outbox
    assert message.subject == "Date fixée\u00a0: Apéro"
    assert "Bonjour Olivia," in message.body
    assert "Quand\u00a0:" in message.body
    assert "It's settled" not in message.body
    # The organizer clicked in English; the email follows the account, not the click.
    assert "When:" not in message.body


def test_ics_in_french(settled_in_french):
    response = settled_in_french["client"].get(
        reverse("voting:ics", args=[settled_in_french["code"]]), **FRENCH
    )
    assert response.status_code == HTTPStatus.OK
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Apéro"
