"""The lobby page's bounded people lists: a few names, then "and N more" that loads the rest
(lobbies/people/lists.py)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django import template
from django.utils.translation import pgettext

from lobbies.people.lists import PREVIEW

register = template.Library()

FILTER_LIMIT = 40


@register.filter
def preview(names: Sequence) -> list:
    """The first names of a list: what the lobby page's first HTML holds of it."""
    return list(names[:PREVIEW])


@register.filter
def listed(names: Sequence) -> str:
    """Names in a sentence, with the language's own separator (Arabic's comma is "،")."""
    return pgettext("list separator", ", ").join(str(name) for name in names)


@register.filter
def beyond_preview(names: Sequence) -> int:
    """How many names of a list its preview leaves out."""
    return max(0, len(names) - PREVIEW)


@register.filter
def offers_filter(choices: Sequence) -> bool:
    """Whether the heatmap offers its "show only some people" checkboxes: past a few dozen
    people a checkbox each is more than a page should hold."""
    return 1 < len(choices) <= FILTER_LIMIT


@register.inclusion_tag("lobbies/_more_people.html")
def more_people(count: int, url: str, *key: str, extra: str = "", **params) -> dict:
    """A disclosure for the people of a list past its preview: it loads them from the
    people route `url` (with `params`, and `extra`, a query string such as the heatmap's
    filter) into a panel whose ids start with people- and the parts of `key`."""
    query = "&".join(part for part in (urlencode(params), extra) if part)
    return {
        "more": count - PREVIEW,
        "count": count,
        "url": f"{url}?{query}",
        "panel": "-".join(["people", *(str(part) for part in key)]),
    }
