"""What the pages derive from a lobby snapshot, kept under the lobby's code and rev.

DESIGN.md: only the snapshot cache (lobbies/store.py) holds snapshots; whatever is derived
from one (rendered fragments, rankings) is kept under `(code, rev)` plus its variant (zone,
language, viewer…) in Django's local-memory cache `settings.LOBBY_CACHE`, whose MAX_ENTRIES
(`LOBBY_DERIVED_KEPT`) bounds it. That cache stores values pickled, so nothing kept there
refers to a snapshot or its items, and a new rev is simply a new key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches

from letshangout.renders import rendered


def derived_key(kind: str, code: str, rev: int, variant: tuple) -> str:
    """A short cache key: the variant (a filter may list hundreds of people) goes hashed."""
    digest = hashlib.blake2s(repr(variant).encode(), digest_size=12).hexdigest()
    return f"{kind}:{code}:{rev}:{digest}"


def kept[T](kind: str, snapshot, variant: tuple, compute: Callable[[], T]) -> T:
    """The value `compute()` derives from `snapshot` for `variant`, computed once per rev."""
    key = derived_key(kind, snapshot.code, snapshot.rev, variant)

    def computed() -> T:
        rendered(kind)
        return compute()

    return caches[settings.LOBBY_CACHE].get_or_set(key, computed, timeout=None)


def forget_derived() -> None:
    """Drop everything kept (tests, after emptying the table: codes and revs start over)."""
    caches[settings.LOBBY_CACHE].clear()
