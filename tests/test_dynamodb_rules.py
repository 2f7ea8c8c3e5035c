"""The proxy in front of DynamoDB Local refuses what DynamoDB refuses (emulator/rules.py).

Real botocore and PynamoDB calls through the proxy to DynamoDB Local. A request "in flight" is
held by the proxy's gate until the test releases it, so conflicts are met deterministically.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import partial

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from letshangout import dynamo
from letshangout.emulator import limits as dynamo_limits
from letshangout.emulator import local as dynamo_local
from letshangout.emulator import rules as dynamo_rules
from lobbies.entities import Lobby
from tests.conftest import TEST_TABLE

PK = "LOBBY#RULES"
KB = 1024


@pytest.fixture
def client(dynamodb):
    """A botocore client through the proxy, without retries: each refusal is seen as sent.
    The items written here have no entity kind, so the table's truncation skips them: the
    fixture deletes them itself."""
    client = client_for(dynamodb.endpoint_url)
    yield client
    delete_partition(client)


def client_for(endpoint_url: str):
    return botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def delete_partition(client) -> None:
    pages = client.get_paginator("query").paginate(
        TableName=TEST_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": PK}},
        ProjectionExpression="pk, sk",
    )
    for page in pages:
        for found in page["Items"]:
            client.delete_item(TableName=TEST_TABLE, Key=found)


def key(sk: str) -> dict:
    return {"pk": {"S": PK}, "sk": {"S": sk}}


def item(sk: str, **text: str) -> dict:
    return {**key(sk), **{name: {"S": value} for name, value in text.items()}}


def put(sk: str, **text: str) -> dict:
    return {"Put": {"TableName": TEST_TABLE, "Item": item(sk, **text)}}


def update(sk: str, item_key: dict | None = None) -> dict:
    return {
        "Update": {
            "TableName": TEST_TABLE,
            "Key": item_key or key(sk),
            "UpdateExpression": "ADD rev :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def stored(client, sk: str) -> dict | None:
    return client.get_item(TableName=TEST_TABLE, Key=key(sk), ConsistentRead=True).get("Item")


@contextmanager
def held(proxy, operation: str, call):
    """Run `call` in a thread and keep it in flight in the proxy until the block ends."""
    gate = proxy.hold_next(operation)
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    assert gate.arrived.wait(10), f"the {operation} never reached the proxy"
    try:
        yield outcome
    finally:
        gate.released.set()
        thread.join(10)


def transaction_held(proxy, client, actions: list[dict]):
    return held(
        proxy, "TransactWriteItems", partial(client.transact_write_items, TransactItems=actions)
    )


def put_held(proxy, client, new_item: dict):
    return held(proxy, "PutItem", partial(client.put_item, TableName=TEST_TABLE, Item=new_item))


def reasons(excinfo) -> list[str]:
    return [reason["Code"] for reason in excinfo.value.response["CancellationReasons"]]


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# --- conflicts ------------------------------------------------------------------------------


def test_a_transaction_meeting_one_in_flight_is_cancelled_and_writes_nothing(
    client, dynamodb_rules
):
    first = [update("LOBBY"), put("P#1", name="Ann")]
    second = [put("P#2", name="Bob"), update("LOBBY")]
    with (
        transaction_held(dynamodb_rules, client, first) as outcome,
        pytest.raises(ClientError) as excinfo,
    ):
        client.transact_write_items(TransactItems=second)
    assert "error" not in outcome
    response = excinfo.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, TransactionConflict]"
    )
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
    ]
    assert stored(client, "P#2") is None
    assert stored(client, "LOBBY")["rev"] == {"N": "1"}
    assert stored(client, "P#1")["name"] == {"S": "Ann"}


def test_a_condition_check_meets_a_transaction_in_flight(client, dynamodb_rules):
    check = {
        "ConditionCheck": {
            "TableName": TEST_TABLE,
            "Key": key("LOBBY"),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    with (
        transaction_held(dynamodb_rules, client, [update("LOBBY")]),
        pytest.raises(ClientError) as excinfo,
    ):
        client.transact_write_items(TransactItems=[check, put("P#3")])
    assert reasons(excinfo) == ["TransactionConflict", "None"]
    assert stored(client, "P#3") is None


def test_a_single_write_during_a_transaction_gets_a_conflict(client, dynamodb_rules):
    def increment():
        return client.update_item(
            TableName=TEST_TABLE,
            Key=key("LOBBY"),
            UpdateExpression="ADD rev :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    with transaction_held(dynamodb_rules, client, [update("LOBBY")]):
        with pytest.raises(ClientError) as excinfo:
            increment()
        with pytest.raises(ClientError):
            client.put_item(TableName=TEST_TABLE, Item=item("LOBBY"))
    assert error_of(excinfo) == (
        "TransactionConflictException",
        "Transaction is ongoing for the item",
    )
    increment()  # the transaction is over: the item is free again
    assert stored(client, "LOBBY")["rev"] == {"N": "2"}


def test_a_transaction_during_a_single_write_is_cancelled(client, dynamodb_rules):
    with (
        put_held(dynamodb_rules, client, item("P#4", name="Cy")),
        pytest.raises(ClientError) as excinfo,
    ):
        client.transact_write_items(TransactItems=[update("LOBBY"), put("P#4", name="Di")])
    assert reasons(excinfo) == ["None", "TransactionConflict"]
    assert stored(client, "LOBBY") is None
    assert stored(client, "P#4")["name"] == {"S": "Cy"}


def test_two_single_writes_on_one_item_do_not_conflict(client, dynamodb_rules):
    with put_held(dynamodb_rules, client, item("P#5")):
        client.put_item(TableName=TEST_TABLE, Item=item("P#5", name="Ed"))


def check_lobby_exists(pk: str, sk: str) -> None:
    """A PynamoDB transaction as the app writes them, with the app's connection."""
    with TransactWrite(connection=dynamo.shared_connection()) as transaction:
        transaction.condition_check(Lobby, pk, sk, condition=Lobby.rev.exists())


def test_pynamodb_sees_the_conflict_as_the_app_reads_it(client, dynamodb_rules, lobby):
    pk, sk = Lobby.key_for(lobby.code)
    bump = update(sk, item_key={"pk": {"S": pk}, "sk": {"S": sk}})
    with (
        transaction_held(dynamodb_rules, client, [bump]),
        pytest.raises(TransactWriteError) as excinfo,
    ):
        check_lobby_exists(pk, sk)
    assert [reason.code for reason in excinfo.value.cancellation_reasons] == ["TransactionConflict"]
    assert dynamo.only_busy(excinfo.value)


def test_an_emulator_that_is_down_answers_as_dynamodb_does(dynamodb):
    """ServiceUnavailable (503), which the app shows as its 503 page; not a dropped line."""
    proxy = dynamo_rules.RulesProxy(f"http://127.0.0.1:{dynamo_local.free_port()}")
    proxy.start()
    try:
        with pytest.raises(ClientError) as excinfo:
            client_for(proxy.endpoint_url).get_item(TableName=TEST_TABLE, Key=key("LOBBY"))
    finally:
        proxy.stop()
    assert excinfo.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


# --- limits ---------------------------------------------------------------------------------


def test_a_transaction_holds_at_most_100_actions(client):
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=[put(f"P#{n}") for n in range(101)])
    assert error_of(excinfo)[0] == "ValidationException"
    assert "less than or equal to 100" in error_of(excinfo)[1]
    assert stored(client, "P#0") is None
    client.transact_write_items(TransactItems=[put(f"P#{n}") for n in range(100)])


def test_an_item_holds_at_most_400_kb(client):
    with pytest.raises(ClientError) as excinfo:
        client.put_item(TableName=TEST_TABLE, Item=item("BIG", data="x" * 401 * KB))
    assert error_of(excinfo) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[put("BIG", data="x" * 401 * KB)])
    client.put_item(TableName=TEST_TABLE, Item=item("BIG", data="x" * 399 * KB))
    with pytest.raises(ClientError) as excinfo:
        client.update_item(
            TableName=TEST_TABLE,
            Key=key("BIG"),
            UpdateExpression="SET more = :more",
            ExpressionAttributeValues={":more": {"S": "x" * 2 * KB}},
        )
    assert error_of(excinfo)[0] == "ValidationException"
    assert "more" not in stored(client, "BIG")


def test_a_transaction_carries_at_most_4_mb(client):
    actions = [put(f"P#{n}", data="x" * 390 * KB) for n in range(13)]
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=actions)
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith("Transaction payload size cannot exceed 4MB")
    assert stored(client, "P#0") is None


def test_a_query_page_holds_1_mb_then_a_last_evaluated_key(client):
    for n in range(5):
        client.put_item(TableName=TEST_TABLE, Item=item(f"P#{n}", data="x" * 300 * KB))
    query = {
        "TableName": TEST_TABLE,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": PK}},
    }
    first = client.query(**query)
    assert first["Count"] < 5
    assert first["LastEvaluatedKey"] == key(first["Items"][-1]["sk"]["S"])
    rest = client.query(**query, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert "LastEvaluatedKey" not in rest
    names = [i["sk"]["S"] for i in first["Items"] + rest["Items"]]
    assert names == [f"P#{n}" for n in range(5)]


def test_batches_hold_at_most_25_writes_and_100_keys(client):
    writes = [{"PutRequest": {"Item": item(f"P#{n}")}} for n in range(26)]
    with pytest.raises(ClientError) as excinfo:
        client.batch_write_item(RequestItems={TEST_TABLE: writes})
    assert error_of(excinfo)[0] == "ValidationException"
    assert stored(client, "P#0") is None
    keys = [key(f"P#{n}") for n in range(101)]
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_item(RequestItems={TEST_TABLE: {"Keys": keys}})
    assert error_of(excinfo) == (
        "ValidationException",
        "Too many items requested for the BatchGetItem call",
    )


@pytest.mark.no_dynamodb
def test_item_sizes_follow_the_documented_rules():
    assert dynamo_limits.item_size({"name": {"S": "Zoë"}}) == 4 + 4
    assert dynamo_limits.item_size({"n": {"N": "-12300.4500"}}) == 1 + 5
    assert dynamo_limits.item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 2 + 1 + 2 + 1
    assert dynamo_limits.item_size({"b": {"B": "AAEC"}}) == 1 + 3
    assert dynamo_limits.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + 1 + 1 + 2
    assert dynamo_limits.item_size({"l": {"L": [{"N": "7"}, {"S": ""}]}}) == 1 + 3 + 2 + 1 + 1
    assert dynamo_limits.item_size({"s": {"SS": ["ab", "c"]}}) == 1 + 3


@pytest.mark.no_dynamodb
def test_a_query_page_ends_with_the_item_that_reaches_1_mb():
    items = [{"data": {"S": "x" * 300 * KB}} for _ in range(5)]
    assert dynamo_limits.first_page(items) == 4
    assert dynamo_limits.first_page(items[:3]) == 3


@pytest.mark.no_dynamodb
@pytest.mark.parametrize(
    ("operation", "request_body"),
    [
        ("TransactWriteItems", {"TransactItems": [put(f"P#{n}") for n in range(101)]}),
        ("TransactWriteItems", {"TransactItems": [put("P#1", data="x" * 401 * KB)]}),
        (
            "TransactWriteItems",
            {"TransactItems": [put(f"P#{n}", data="x" * 390 * KB) for n in range(11)]},
        ),
        ("PutItem", {"TableName": TEST_TABLE, "Item": item("P#1", data="x" * 401 * KB)}),
        ("BatchWriteItem", {"RequestItems": {TEST_TABLE: [{}] * 20, "other": [{}] * 6}}),
        ("BatchGetItem", {"RequestItems": {TEST_TABLE: {"Keys": [key("P#1")] * 101}}}),
    ],
)
def test_the_proxy_itself_refuses_over_the_limits(operation, request_body):
    """The emulator refuses these too; the proxy does not count on it."""
    with pytest.raises(dynamo_limits.Refusal) as excinfo:
        dynamo_limits.check_limits(operation, request_body)
    assert excinfo.value.payload["__type"].endswith("#ValidationException")
