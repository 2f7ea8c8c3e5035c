"""Place ranking and the overall recommendation: pure functions, no Django, no PynamoDB.

Tallies are computed on read from each participant's votes (see DESIGN.md: no stored counters),
so this has to be cheap and deterministic: the same votes always give the same order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: ranking must not pull in the lobbies app at runtime
    from lobbies.availability.grid import Window

YES, MAYBE, NO = "yes", "maybe", "no"
VOTE_VALUES = (YES, MAYBE, NO)


@dataclass(frozen=True)
class PlaceScore:
    """A place's tally: voter ids per answer, in the order the votes mapping lists voters."""

    place_id: str
    yes: tuple[str, ...]
    maybe: tuple[str, ...]
    no: tuple[str, ...]
    created: datetime


def rank_places(
    places: Sequence[tuple[str, datetime]],
    votes: Mapping[str, Mapping[str, str]],
) -> list[PlaceScore]:
    """Most yes, then most if-need-be, then fewest no, then oldest, then id.

    The last two keys make the order total, so the list never reshuffles between two page loads.
    Votes for places that no longer exist (removed by the organizer) and unknown values are
    ignored rather than rejected: they are stale data, not an error of the current request.
    """
    created: dict[str, datetime] = {}
    for place_id, place_created in places:
        if place_id in created:
            raise ValueError(f"Place {place_id!r} is listed twice.")
        created[place_id] = place_created

    tallies: dict[str, dict[str, list[str]]] = {
        place_id: {value: [] for value in VOTE_VALUES} for place_id in created
    }
    for voter_id, ballot in votes.items():
        for place_id, value in ballot.items():
            tally = tallies.get(place_id)
            if tally is not None and value in tally:
                tally[value].append(voter_id)

    scores = [
        PlaceScore(
            place_id=place_id,
            yes=tuple(tally[YES]),
            maybe=tuple(tally[MAYBE]),
            no=tuple(tally[NO]),
            created=created[place_id],
        )
        for place_id, tally in tallies.items()
    ]
    scores.sort(
        key=lambda score: (
            -len(score.yes),
            -len(score.maybe),
            len(score.no),
            score.created,
            score.place_id,
        )
    )
    return scores


def recommend(
    windows: Sequence[Window],
    places: Sequence[PlaceScore],
) -> tuple[Window | None, PlaceScore | None]:
    """The best time and the best place, each None when there is nothing to pick from.

    Both inputs arrive already ranked (best_windows, rank_places), so the top of each is the
    recommendation; keeping the choice here gives views and auto-settling one definition of it.
    """
    return (windows[0] if windows else None, places[0] if places else None)


_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`´]")
_NOT_WORD = re.compile(r"[\W_]+")


def _normalize(text: str) -> str:
    # NFKD on both sides of casefold: compatibility forms can decompose to capitals ("𝔍" -> "J")
    # and casefolding can produce combining marks ("İ" -> "i" + dot above).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # "Joe's" and "Joes" are the same place; "Café-Rouge" and "Café Rouge" too.
    bare = _APOSTROPHES.sub("", bare)
    words = _NOT_WORD.sub(" ", bare).split()
    if words:
        return " ".join(words)
    # A name made only of symbols ("🍕") still needs a key of its own, not an empty one.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def normalize_place_key(name: str, address: str) -> str:
    """A key two spellings of one place share: case, accents, punctuation and spacing ignored.

    Used to warn about duplicate proposals, so it errs towards matching: "Café  Rouge" and
    "cafe rouge" are one place. Name and address stay separate, so a chain's two branches differ.
    """
    return f"{_normalize(name)}|{_normalize(address)}"
