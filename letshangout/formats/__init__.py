"""Date and time formats per language (FORMAT_MODULE_PATH), with the project's own names.

Django's standard names (TIME_FORMAT, YEAR_MONTH_FORMAT…) work as usual; the names below
are the labels the grid, the calendar and the emails use:

- DAY_FORMAT: a day with its weekday ("Friday 4 December")
- DAY_YEAR_FORMAT: the same with the year
- DAY_YEAR_TIME_FORMAT: the same with the time ("Friday 4 December 2026, 19:30"; Japanese
  puts a space, not a comma, before the time)
- SHORT_DAY_FORMAT: a column heading under the weekday ("4 Dec")
- SHORT_DAY_YEAR_FORMAT: the same with the year
- LONG_DATE_FORMAT: a date with its year and no weekday, for sentences that name the weekday
  already ("Every Monday from 14 December 2026")
- SHORT_DAY_TIME_FORMAT: a moment on a short day ("Sun 6 Dec, 19:30"): comments

Month abbreviations as each language writes them: Django's "N" (its abbreviations with a
full stop, "déc.", "Dez.") where the language uses one, "b" (lower case, "dic") or "M"
(capitalised, "Dec") otherwise; "M" would capitalise French and Spanish ones ("Déc").
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import get_language

PROJECT_FORMATS = (
    "DAY_FORMAT",
    "DAY_YEAR_FORMAT",
    "DAY_YEAR_TIME_FORMAT",
    "SHORT_DAY_FORMAT",
    "SHORT_DAY_YEAR_FORMAT",
    "SHORT_DAY_TIME_FORMAT",
    "LONG_DATE_FORMAT",
)


def local_format(name: str, language: str | None = None) -> str:
    """The format `name` in `language` (default: the active one), English as the fallback."""
    if name not in PROJECT_FORMATS:
        return formats.get_format(name, language)
    for code in (language or get_language() or "en", "en"):
        for module in formats.get_format_modules(code):
            if hasattr(module, name):
                return getattr(module, name)
    raise KeyError(name)
