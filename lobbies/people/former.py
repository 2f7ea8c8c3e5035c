"""Seats whose account was deleted (lobbies/people/accounts.py): how they are told apart and named.

Such a seat stays in its lobby with its marks and votes, but nobody answers for it any more:
it is shown as "Former participant" in each reader's language and never counted among the
people who still have to answer. Seats released before the marker existed hold only the
words, in the language of whoever deleted their account, so those words count as the marker
on a seat without an account.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

# What a released seat's display_name holds, for any reader that does not know the marker.
STORED_NAME = "Former participant"
# The label as older releases' catalogs worded it, before a review changed it: seats they
# released hold these words.
EARLIER_LABELS = frozenset({"Ehemalige Person", "Ancien participant", "Antiguo participante"})


def label() -> str:
    """The name of a released seat, in the active language."""
    return gettext("Former participant")


@lru_cache(maxsize=1)
def legacy_names() -> frozenset[str]:
    """The words older releases stored instead of a marker: the label in every language."""
    names = {STORED_NAME, *EARLIER_LABELS}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(label())
    return frozenset(names)
