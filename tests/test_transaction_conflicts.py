"""DynamoDB refuses a write that meets a transaction in flight on the same item
("TransactionConflictException"), and cancels a transaction that meets another write on one of
its items ("TransactionConflict"), instead of queueing either. Saves and votes are single-item
writes (no transaction includes the Lobby item), but a transaction on someone's own item (a
sign-in merging two seats) can still meet them. These tests put DynamoDB's answer in front of
the real call for the first tries, and check that the write is tried again, or ends in the 503
page that says to try again, never a 500, and never half written."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from pynamodb.exceptions import (
    CancellationReason,
    TransactWriteError,
    UpdateError,
    VerboseClientError,
)

from letshangout import dynamo
from lobbies.store import lobby_rev
from tests.test_availability import form, marks, save_url
from tests.voting_support import propose, stored_votes


def conflict(items: int) -> TransactWriteError:
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code="TransactionConflict")]
        + [None] * (items - 1),
    )
    return TransactWriteError("Failed to write transaction items", cause=cause)


def write_conflict() -> UpdateError:
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}, "UpdateItem"
    )
    return UpdateError("Failed to update item", cause=cause)


@pytest.fixture
def conflicts(monkeypatch):
    """conflicts(n): the next n writes (transactions or single updates) meet a transaction in
    flight, then go through."""
    connection = dynamo.TableItem._get_connection().connection
    real_transact, real_update = connection.transact_write_items, connection.update_item
    left = {"n": 0}

    def transact_write_items(**kwargs):
        if left["n"] > 0:
            left["n"] -= 1
            raise conflict(len(kwargs["update_items"]) + len(kwargs["condition_check_items"]))
        return real_transact(**kwargs)

    def update_item(*args, **kwargs):
        if left["n"] > 0:
            left["n"] -= 1
            raise write_conflict()
        return real_update(*args, **kwargs)

    monkeypatch.setattr(connection, "transact_write_items", transact_write_items)
    monkeypatch.setattr(connection, "update_item", update_item)

    def arm(n: int) -> None:
        left["n"] = n

    return arm


def test_a_save_that_meets_other_saves_is_tried_again(organizer_client, lobby, conflicts):
    me = lobby.organizer
    conflicts(dynamo.TRANSACTION_TRIES - 1)
    response = organizer_client.post(save_url(lobby.code), form(lobby, me, day="0", y=["0", "1"]))
    assert response.status_code == HTTPStatus.FOUND
    assert marks(lobby.code, me.participant_id) == ({0, 1}, set())


def test_a_save_that_keeps_conflicting_is_a_503_and_stores_nothing(
    organizer_client, lobby, conflicts
):
    me = lobby.organizer
    rev = lobby_rev(lobby.code)
    conflicts(dynamo.TRANSACTION_TRIES)
    response = organizer_client.post(save_url(lobby.code), form(lobby, me, day="0", y=["0"]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert b"try again" in response.content.lower()
    assert lobby_rev(lobby.code) == rev
    assert marks(lobby.code, me.participant_id) is None  # never answered


def test_a_vote_that_meets_others_is_tried_again(organizer_client, lobby, conflicts):
    place = propose(lobby.code, lobby.lobby.owner_id, "Bar")
    conflicts(2)
    url = reverse("voting:vote", args=[lobby.code, place.place_id])
    assert organizer_client.post(url, {"value": "yes"}).status_code == HTTPStatus.FOUND
    assert stored_votes(lobby.code, lobby.lobby.owner_id) == {place.place_id: "yes"}


def test_a_failed_condition_is_not_mistaken_for_a_conflict():
    refused = conflict(2)
    refused.cause.cancellation_reasons[1] = CancellationReason(code="ConditionalCheckFailed")
    assert dynamo.only_busy(conflict(2)) and not dynamo.only_busy(refused)
