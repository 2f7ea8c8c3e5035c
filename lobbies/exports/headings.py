"""The words people read in a download, in the downloader's language.

The data keeps its machine keys ("yes", "if need be", "Tuesday", ISO dates) so programs read
every file alike: JSON carries these words beside them in a "labels" object, and the CSV,
read by people in a spreadsheet, shows them in place of the keys (its dates stay ISO, which
spreadsheets sort and read in any language).
"""

from __future__ import annotations

from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language, pgettext

from lobbies.availability import weekly


def column_names() -> dict[str, str]:
    """CSV column key -> its heading. In English the headings are the keys themselves, as
    they always were, so programs reading English files by heading keep working."""
    # Translators: a column heading of a spreadsheet download; "time_zone" is "time zone".
    return {
        "participant": pgettext("download column heading", "participant"),
        "record": pgettext("download column heading", "record"),
        "day": pgettext("download column heading", "day"),
        "start": pgettext("download column heading", "start"),
        "end": pgettext("download column heading", "end"),
        "answer": pgettext("download column heading", "answer"),
        "place": pgettext("download column heading", "place"),
        "text": pgettext("download column heading", "text"),
        "at": pgettext("download column heading", "at"),
        "time_zone": pgettext("download column heading", "time_zone"),
        "repeats": pgettext("download column heading", "repeats"),
        "repeat_until": pgettext("download column heading", "repeat_until"),
        "repeat_count": pgettext("download column heading", "repeat_count"),
    }


def record_names() -> dict[str, str]:
    """What a CSV row holds."""
    return {
        "availability": pgettext("download: what a row holds", "availability"),
        "vote": pgettext("download: what a row holds", "vote"),
        "email": pgettext("download: what a row holds", "email"),
        "comment": pgettext("download: what a row holds", "comment"),
        "decision": pgettext("download: what a row holds", "decision"),
    }


def answer_names() -> dict[str, str]:
    """A mark on the grid (export.YES, MAYBE, NO) and a vote on a place (yes, maybe, no)."""
    return {
        "yes": pgettext("availability mark", "yes"),
        "if need be": pgettext("availability mark", "if need be"),
        "maybe": pgettext("availability mark", "if need be"),
        "no": pgettext("availability mark", "no"),
    }


def weekday_names() -> dict[str, str]:
    """weekly.WEEKDAY_NAMES (English, the files' keys) -> the weekday in this language."""
    return {key: str(WEEKDAYS[number]) for number, key in enumerate(weekly.WEEKDAY_NAMES)}


def other_names() -> dict[str, str]:
    return {
        "confirmed": pgettext("download: email address", "confirmed"),
        "not confirmed": pgettext("download: email address", "not confirmed"),
        "weekly": pgettext("download: how a meeting repeats", "weekly"),
    }


def labels() -> dict:
    """The JSON file's "labels": each machine value a person may read, in their language."""
    return {
        "language": get_language() or "en",
        "answers": answer_names(),
        "weekdays": weekday_names(),
    }


def cell_words() -> dict[str, str]:
    """The machine values of the CSV's record, day, answer and repeats columns -> the word
    shown (the other columns hold what people typed, dates and times: shown as they are)."""
    return {**record_names(), **answer_names(), **weekday_names(), **other_names()}
