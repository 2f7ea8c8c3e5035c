"""Unit tests of voting.ranking: pure code, no Django, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lobbies.availability.grid import GridSpec
from lobbies.availability.windows import best_windows
from voting.ranking import MAYBE, NO, YES, PlaceScore, normalize_place_key, rank_places, recommend


def at(day: int) -> datetime:
    return datetime(2027, 6, day, 12, 0, tzinfo=UTC)


def order(scores: list[PlaceScore]) -> list[str]:
    return [score.place_id for score in scores]


def test_constants():
    assert (YES, MAYBE, NO) == ("yes", "maybe", "no")


def test_rank_places_tallies_voters_in_vote_order():
    places = [("p1", at(1)), ("p2", at(2))]
    votes = {
        "zoe": {"p1": YES, "p2": NO},
        "adam": {"p1": MAYBE, "p2": YES},
        "mia": {"p1": YES},
    }
    assert rank_places(places, votes) == [
        PlaceScore("p1", ("zoe", "mia"), ("adam",), (), at(1)),
        PlaceScore("p2", ("adam",), (), ("zoe",), at(2)),
    ]


def test_most_yes_wins_over_everything_else():
    places = [("old", at(1)), ("new", at(2))]
    votes = {
        "a": {"old": MAYBE, "new": YES},
        "b": {"old": MAYBE, "new": YES},
        "c": {"old": MAYBE, "new": NO},
        "d": {"old": YES, "new": NO},
    }
    # new: 2 yes 2 no; old: 1 yes 3 maybe -> yes count decides.
    assert order(rank_places(places, votes)) == ["new", "old"]


def test_tie_on_yes_broken_by_most_maybe():
    places = [("old", at(1)), ("new", at(2))]
    votes = {"a": {"old": YES, "new": YES}, "b": {"old": NO, "new": MAYBE}}
    assert order(rank_places(places, votes)) == ["new", "old"]


def test_tie_on_yes_and_maybe_broken_by_fewest_no():
    places = [("old", at(1)), ("new", at(2))]
    votes = {
        "a": {"old": YES, "new": YES},
        "b": {"old": MAYBE, "new": MAYBE},
        "c": {"old": NO},
    }
    assert order(rank_places(places, votes)) == ["new", "old"]


def test_full_tie_broken_by_earliest_created():
    places = [("zzz", at(1)), ("aaa", at(3)), ("mmm", at(2))]
    votes = {"a": {"zzz": YES, "aaa": YES, "mmm": YES}}
    assert order(rank_places(places, votes)) == ["zzz", "mmm", "aaa"]


def test_full_tie_and_same_time_broken_by_id():
    places = [("b", at(1)), ("c", at(1)), ("a", at(1))]
    assert order(rank_places(places, {})) == ["a", "b", "c"]


def test_every_tiebreak_in_one_list():
    places = [
        ("same-as-g-but-id", at(5)),
        ("late", at(9)),
        ("most-yes", at(9)),
        ("no-votes", at(1)),
        ("fewer-no", at(9)),
        ("more-maybe", at(9)),
        ("g", at(5)),
        ("early", at(2)),
    ]
    votes = {
        "v1": {"most-yes": YES, "more-maybe": YES, "fewer-no": YES, "early": YES, "late": YES},
        "v2": {"most-yes": YES, "more-maybe": MAYBE, "fewer-no": NO, "early": NO, "late": NO},
        "v3": {"more-maybe": MAYBE, "early": NO, "late": NO, "g": MAYBE},
        "v4": {"same-as-g-but-id": MAYBE},
    }
    assert order(rank_places(places, votes)) == [
        "most-yes",  # 2 yes
        "more-maybe",  # 1 yes 2 maybe
        "fewer-no",  # 1 yes 0 maybe 1 no
        "early",  # 1 yes 0 maybe 2 no, created day 2
        "late",  # same tally, created day 9
        "g",  # 0 yes 1 maybe, day 5, id "g"
        "same-as-g-but-id",  # same tally and day, id sorts after "g"
        "no-votes",
    ]


def test_unknown_places_and_values_are_ignored():
    places = [("p1", at(1))]
    votes = {
        "a": {"p1": "YES", "gone": YES},
        "b": {"p1": "if need be"},
        "c": {"p1": ""},
        "d": {},
        "e": {"p1": NO},
    }
    assert rank_places(places, votes) == [PlaceScore("p1", (), (), ("e",), at(1))]


def test_no_places_no_scores():
    assert rank_places([], {"a": {"p1": YES}}) == []


def test_duplicate_place_ids_are_an_error():
    with pytest.raises(ValueError, match="listed twice"):
        rank_places([("p1", at(1)), ("p1", at(2))], {})


@given(
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(1, 3)), unique_by=lambda p: p[0]),
    st.dictionaries(
        st.sampled_from(["v1", "v2", "v3", "v4", "v5"]),
        st.dictionaries(st.sampled_from("abcdefg"), st.sampled_from([YES, MAYBE, NO, "?"])),
    ),
)
def test_ranking_is_sorted_and_complete(raw_places, votes):
    places = [(place_id, at(day)) for place_id, day in raw_places]
    scores = rank_places(places, votes)
    assert sorted(order(scores)) == sorted(place_id for place_id, _ in places)
    keys = [(-len(s.yes), -len(s.maybe), len(s.no), s.created, s.place_id) for s in scores]
    assert keys == sorted(keys)
    for score in scores:
        for value, voters in ((YES, score.yes), (MAYBE, score.maybe), (NO, score.no)):
            expected = [
                voter for voter, ballot in votes.items() if ballot.get(score.place_id) == value
            ]
            assert list(voters) == expected


# --- recommend ---------------------------------------------------------------------------------


def test_recommend_picks_the_top_of_each():
    spec = GridSpec((date(2027, 6, 1),), 18 * 60, 21 * 60, 60, "UTC")
    answers = {"a": (frozenset({1, 2}), frozenset()), "b": (frozenset({2}), frozenset({1}))}
    windows = best_windows(spec, 60, answers)
    places = rank_places([("p1", at(1)), ("p2", at(2))], {"a": {"p2": YES}})
    window, place = recommend(windows, places)
    assert window is windows[0]
    assert window.start_slot == 2
    assert place is places[0]
    assert place.place_id == "p2"


def test_recommend_with_nothing():
    assert recommend([], []) == (None, None)
    place = PlaceScore("p1", (), (), (), at(1))
    assert recommend([], [place]) == (None, place)


# --- normalize_place_key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Café  Rouge", ""), ("cafe rouge", "")),
        (("CAFÉ ROUGE", "12 Rue de la Paix"), ("Cafe Rouge", "12, rue de la paix")),
        (("Café-Rouge", ""), ("Café Rouge", "")),
        ((" Café\tRouge\n", ""), ("Café Rouge", "")),
        (("Cafe\u0301 Rouge", ""), ("Café Rouge", "")),  # combining accent vs precomposed
        (("Joe's Bar", ""), ("Joe’s Bar", "")),
        (("Joe's Bar", ""), ("Joes Bar", "")),
        (("Straße", ""), ("STRASSE", "")),
        (("Ｃａｆé", ""), ("cafe", "")),  # full-width letters
        (("Smørrebrød", ""), ("smørrebrød", "")),
        (("İstanbul", ""), ("istanbul", "")),
        (("𝔍𝔬𝔢", ""), ("joe", "")),  # compatibility forms that decompose to capitals
        (("The Pub!", "Main St."), ("the pub", "main st")),
        (("🍕", ""), ("🍕", "")),
    ],
)
def test_same_place_same_key(first, second):
    assert normalize_place_key(*first) == normalize_place_key(*second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Café Rouge", ""), ("Café Bleu", "")),
        (("Café Rouge", "Paris"), ("Café Rouge", "Lyon")),
        (("Café", "Rouge"), ("Café Rouge", "")),  # name and address stay apart
        (("cafe rouge", ""), ("caferouge", "")),
        (("🍕", ""), ("🍔", "")),
        (("🍕", ""), ("", "")),
    ],
)
def test_different_places_different_keys(first, second):
    assert normalize_place_key(*first) != normalize_place_key(*second)


def test_key_format():
    assert (
        normalize_place_key("  Café  Rouge ", "12, Rue de la Paix")
        == "cafe rouge|12 rue de la paix"
    )
    assert normalize_place_key("", "") == "|"


@given(st.text(max_size=30), st.text(max_size=30))
def test_key_is_idempotent_on_its_parts(name, address):
    key = normalize_place_key(name, address)
    name_key, _, address_key = key.partition("|")
    if "|" not in name_key + address_key:
        assert normalize_place_key(name_key, address_key) == key
    assert normalize_place_key(name.casefold(), address) == key
