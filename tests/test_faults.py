"""Never a 500: DynamoDB trouble is a 503 page that says to try again; a lobby deleted a moment
before a write is a 404 (or the form's message), and leaves nothing behind. Faults are put at
botocore's door (tests/faults.py), so PynamoDB wraps them as it would in production."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from letshangout import dynamo
from lobbies import services
from lobbies.availability import grid
from lobbies.availability.answers import grid_key, spec_for
from lobbies.entities import Lobby, Participant
from lobbies.errors import LobbyNotFound, NotInLobby
from lobbies.store import delete_collection, load_lobby, lobby_rev
from tests.conftest import seat_client
from tests.factories import create_payload
from tests.faults import BUSY_REASONS, Faults, cancelled, dropped, throttled, unreachable
from tests.voting_support import propose


@pytest.fixture
def faults(monkeypatch) -> Faults:
    return Faults().install(monkeypatch)


@pytest.fixture
def scene(db, lobby, organizer_client, join_as):
    """A lobby with a guest and a place, and every write a participant can send."""
    guest_client, guest = join_as(lobby, "Gus")
    place = propose(lobby.code, lobby.lobby.owner_id, "Bar Centrale")
    return Scene(lobby.code, organizer_client, guest_client, guest.participant_id, place.place_id)


class Scene:
    def __init__(self, code, organizer, guest, guest_id, place_id):
        self.code, self.organizer, self.guest = code, organizer, guest
        self.guest_id, self.place_id = guest_id, place_id

    def writes(self) -> dict:
        """name -> a function that sends that write and returns the response."""
        code, place = self.code, self.place_id
        owner = load_lobby(code).lobby.owner_id
        spec = spec_for(load_lobby(code).lobby)
        marks = {
            "participant": owner,
            "grid": grid_key(spec),
            "yes": grid.bitmap_to_text(grid.encode_bitmap({0}, spec.slot_count)),
            "maybe": grid.bitmap_to_text(grid.encode_bitmap(set(), spec.slot_count)),
        }

        def post(client, name, args, data=None, **extra):
            return lambda: client.post(reverse(name, args=args), data or {}, **extra)

        return {
            "save": post(
                self.organizer, "lobbies:availability", [code], marks, HTTP_HX_REQUEST="1"
            ),
            "join": post(Client(), "lobbies:join", [code], {"display_name": "Late"}),
            "propose": post(self.organizer, "voting:propose", [code], {"name": "Bar Nord"}),
            "edit place": post(self.organizer, "voting:edit_place", [code, place], {"name": "B"}),
            "vote": post(self.guest, "voting:vote", [code, place], {"value": "yes"}),
            "withdraw": post(self.organizer, "voting:delete_place", [code, place]),
            "leave": post(self.guest, "lobbies:leave", [code]),
            "new link": post(self.guest, "lobbies:new_personal_link", [code]),
            "lock": post(self.organizer, "lobbies:lock", [code], {"locked": "1"}),
            "remove": post(self.organizer, "lobbies:remove_participant", [code, self.guest_id]),
            "notify": post(self.guest, "voting:notifications", [code], {"notify_settled": "on"}),
            "settle": post(self.organizer, "voting:settle", [code], {"window": "0", "place": ""}),
            "delete": post(self.organizer, "lobbies:delete", [code]),
        }


WRITES = [
    "save",
    "join",
    "propose",
    "edit place",
    "vote",
    "withdraw",
    "leave",
    "new link",
    "lock",
    "remove",
    "notify",
    "settle",
    "delete",
]


@pytest.mark.django_db
@pytest.mark.parametrize("reason", BUSY_REASONS)
@pytest.mark.parametrize("write", WRITES)
def test_a_write_cancelled_for_being_busy_is_a_503(scene, faults, write, reason):
    send = scene.writes()[write]
    rev = lobby_rev(scene.code)
    faults.fail("TransactWriteItems", cancelled(reason), times=dynamo.TRANSACTION_TRIES)
    faults.fail("DeleteItem", throttled, times=20)  # the delete's own item deletes
    response = send()
    assert response.status_code in {HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.FOUND}, write
    if response.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
        assert response["Retry-After"]
        assert lobby_rev(scene.code) in {rev, None}


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(
    "moment",
    [("UpdateItem", "TransactWriteItems", "DeleteItem"), ("PutItem", "TransactWriteItems")],
    ids=["before the first write", "between a new item and the rev"],
)
def test_a_write_right_after_the_lobby_was_deleted_is_no_500_and_leaves_nothing(
    scene, faults, write, moment
):
    send = scene.writes()[write]
    deleted = []

    def delete() -> None:
        delete_collection(scene.code)
        deleted.append(True)

    for operation in moment:
        faults.before(operation, delete)
    response = send()
    assert response.status_code in {
        HTTPStatus.FOUND,
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    }, (write, response.status_code)
    if deleted:  # this write reached that moment
        assert list(Lobby.collection(scene.code, consistent=True)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("error", [throttled, unreachable, dropped])
@pytest.mark.parametrize("operation", ["GetItem", "Query"])
def test_a_failing_read_is_a_503(scene, faults, operation, error):
    faults.fail(operation, error, times=5)
    response = scene.organizer.get(reverse("lobbies:detail", args=[scene.code]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"]


@pytest.mark.django_db
def test_creating_a_lobby_goes_through_the_retrying_helper(client, faults):
    faults.fail("TransactWriteItems", cancelled("TransactionConflict"), times=2)
    assert client.post(reverse("lobbies:create"), create_payload(title="Picnic")).status_code == 302
    faults.fail("TransactWriteItems", cancelled("ThrottlingError"), times=dynamo.TRANSACTION_TRIES)
    response = Client().post(reverse("lobbies:create"), create_payload(title="Picnic"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


@pytest.mark.django_db
def test_a_join_after_a_delete_is_refused_and_leaves_no_orphan(lobby):
    stale = load_lobby(lobby.code)
    services.delete_lobby(stale, stale.lobby.owner_id)
    with pytest.raises(LobbyNotFound):
        services.join_lobby(stale, "Late", None)
    assert list(Lobby.collection(lobby.code, consistent=True)) == []


@pytest.mark.django_db
def test_a_delete_is_complete_even_with_writes_landing_during_it(lobby, faults):
    code = lobby.code

    def late_arrival() -> None:
        # Written without conditions, as a join already past its check would land.
        late = Participant(*Participant.key_for(code, "late"), display_name="x", token_hash="x")
        late.joined_at = datetime.now(UTC)
        late.save()

    faults.before("Query", late_arrival)
    removed = services.delete_lobby(load_lobby(code), lobby.lobby.owner_id)
    assert removed >= 3
    assert list(Lobby.collection(code, consistent=True)) == []


@pytest.mark.django_db
def test_a_delete_that_meets_throttling_finishes_the_job(lobby, faults, join_as):
    join_as(lobby, "Ann")
    faults.before("DeleteItem", lambda: None)  # the Lobby item goes
    faults.fail("DeleteItem", throttled, times=2)  # then two of the rest are throttled
    services.delete_lobby(load_lobby(lobby.code), lobby.lobby.owner_id)
    assert list(Lobby.collection(lobby.code, consistent=True)) == []


@pytest.mark.django_db
def test_a_new_personal_link_after_removal_is_a_404(lobby, join_as):
    client, ann = join_as(lobby, "Ann")
    stale = load_lobby(lobby.code)
    services.remove_participant(stale, stale.lobby.owner_id, ann.participant_id)
    with pytest.raises(NotInLobby):
        services.new_personal_token(stale, ann.participant_id)
    response = client.post(reverse("lobbies:new_personal_link", args=[lobby.code]))
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_a_seated_visitor_of_a_deleted_lobby_gets_a_404(lobby):
    visitor = Client()
    seat_client(visitor, lobby.code, lobby.organizer)
    delete_collection(lobby.code)
    for name in ("lobbies:group", "lobbies:edit", "voting:settle"):
        assert visitor.get(reverse(name, args=[lobby.code])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["save", "vote"])
def test_a_write_whose_connection_drops_is_a_503(scene, faults, write):
    faults.fail("UpdateItem", dropped, times=5)
    response = scene.writes()[write]()
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"]
