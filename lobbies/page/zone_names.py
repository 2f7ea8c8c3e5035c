"""The time-zone menu in the reader's language: "Germany – Berlin", "Deutschland – Berlin",
"ドイツ – ベルリン", with the IANA id ("Europe/Berlin") kept as the value.

Ordered by country, then by city, in the reader's language: people look for their country,
which they know, not for their UTC offset, which many zones share and which moves with
daylight saving time. UTC comes first. Names come from CLDR through babel.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_location
from django.utils import translation
from django.utils.translation import pgettext

UTC = "UTC"


@cache
def zone_countries() -> dict[str, str]:
    """Each current zone name (tzdata's zone.tab) -> its ISO country code. The zone
    database's backward-compatible links (Africa/Asmera, US/Pacific, Etc/GMT+5) still work
    but are not offered."""
    table = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and line[0] != "#")
    countries: dict[str, str] = {}
    for row in rows:
        countries.setdefault(row[2], row[0])
    return countries


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def _sort_key(text: str) -> str:
    """Accents and case do not move a name ("Égypte" sorts with "E"): Python has no
    collation per language, and this is what readers of Latin scripts expect."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def zone_label(zone: str, language: str) -> str:
    """ "Country – City" in `language`; an id outside zone.tab (an older name) by its city."""
    locale = _locale(language)
    city = get_timezone_location(zone, locale=locale, return_city=True)
    country_code = zone_countries().get(zone)
    if zone == UTC or country_code is None:
        return city or zone.replace("_", " ")
    country = locale.territories.get(country_code, country_code)
    with translation.override(language):
        return pgettext("time-zone menu: a country and a city in it", "%(country)s – %(city)s") % {
            "country": country,
            "city": city,
        }


@lru_cache(maxsize=16)
def zone_menu(language: str) -> tuple[tuple[str, str], ...]:
    """(IANA id, label) for every current zone, UTC first, then by country and city."""
    locale = _locale(language)
    rows = []
    for zone, country_code in zone_countries().items():
        country = locale.territories.get(country_code, country_code)
        label = zone_label(zone, language)
        rows.append(((_sort_key(country), _sort_key(label)), zone, label))
    rows.sort()
    return ((UTC, zone_label(UTC, language)), *((zone, label) for _key, zone, label in rows))
