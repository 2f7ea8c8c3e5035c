"""The one DynamoDB table: base entity, connection settings, call accounting and error mapping.

Every product item (lobby, participant, place) lives in one table under the lobby's partition
key, so a lobby page is one Query. Entities subclass `TableItem`; the discriminator attribute
lets one Query return each item as its own class.
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError
from django.conf import settings
from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, TableError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

# Errors that mean "DynamoDB is not answering properly right now", as opposed to a
# condition failing or an item missing, which services turn into domain errors.
UNAVAILABLE_ERROR_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",
    # A plain write met a transaction in flight on the same item: nothing was written.
    "TransactionConflictException",
}


class DynamoUnavailable(Exception):
    """DynamoDB failed after PynamoDB's retries; the request gets a 503 page."""


def is_unavailable(error: BaseException) -> bool:
    """True for outages (network, throttling, missing table); False for a failed condition
    or any other answer that DynamoDB gave on purpose."""
    if isinstance(error, DynamoUnavailable | BotoCoreError):
        return True
    if isinstance(error, PynamoDBException):
        # PynamoDB wraps every failure, conditions included, in PynamoDBConnectionError
        # subclasses; what happened underneath decides.
        if only_busy(error):
            return True
        # Checked first: a connection dropped before any answer has no response, and
        # PynamoDB's cause_response_code then fails rather than return None.
        if isinstance(error.cause, BotoCoreError):
            return True
        if error.cause_response_code is not None:
            return error.cause_response_code in UNAVAILABLE_ERROR_CODES
        return False
    return False


class UserIndex(GlobalSecondaryIndex):
    """GSI1: a signed-in user's participations, newest first ("my lobbies")."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    """Base of every item. Key design: pk = LOBBY#<code>, sk = LOBBY | P#<id> | PLACE#<id>."""

    class Meta:
        table_name = settings.DYNAMODB_TABLE
        host = settings.DYNAMODB_ENDPOINT_URL
        region = settings.AWS_REGION
        connect_timeout_seconds = settings.DYNAMODB_CONNECT_TIMEOUT
        read_timeout_seconds = settings.DYNAMODB_READ_TIMEOUT
        max_retry_attempts = settings.DYNAMODB_MAX_RETRIES
        # DynamoDB Local accepts any credentials; AWS uses the task role.
        aws_access_key_id = "local" if settings.DYNAMODB_ENDPOINT_URL else None
        aws_secret_access_key = "local" if settings.DYNAMODB_ENDPOINT_URL else None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute(attr_name="kind")
    expires_at = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    user_index = UserIndex()

    @property
    def code(self) -> str:
        """The code of the lobby this item belongs to."""
        return self.pk.removeprefix("LOBBY#")

    @classmethod
    def _get_connection(cls):
        # All entity classes share the base class's connection, so there is one botocore
        # client to instrument and one pool of HTTP connections.
        if cls is TableItem:
            return super()._get_connection()
        return TableItem._get_connection()


# Transactions here never include a lobby's Lobby item (lobbies/store.py), so they meet others
# only on data items that two requests rarely change at once; a few short jittered waits let
# them take turns rather than show a 503.
TRANSACTION_TRIES = 6
# Cancellation reasons that mean "busy, try again": nothing was written.
RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def _wait_before_try(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.025 * 2**attempt))  # jitter: do not meet again


def transact(add_writes: Callable[[TransactWrite], object]) -> None:
    """One TransactWriteItems holding the writes `add_writes` puts in it, tried again while
    DynamoDB cancels it only for being busy.

    DynamoDB cancels a transaction that meets another write in flight on one of its items
    (reason "TransactionConflict") instead of queueing it. Still busy after a few short
    waits, it is an outage to the user (DynamoUnavailable: a 503 that says to try again).
    A failed condition is raised as it is.
    """
    for attempt in range(TRANSACTION_TRIES):
        try:
            with TransactWrite(connection=shared_connection()) as transaction:
                add_writes(transaction)
            return
        except TransactWriteError as error:
            if not only_busy(error):
                raise
            _wait_before_try(attempt)
    raise DynamoUnavailable("a transaction kept meeting others on the same items")


def write_item(write: Callable[[], object]):
    """One single-item write (PutItem, UpdateItem, DeleteItem), tried again while DynamoDB
    refuses it for meeting a transaction in flight on that item (nothing was written then).
    Single writes of one item never meet each other: DynamoDB applies them in turn."""
    for attempt in range(TRANSACTION_TRIES):
        try:
            return write()
        except PynamoDBException as error:
            if getattr(error, "cause_response_code", None) != "TransactionConflictException":
                raise
            _wait_before_try(attempt)
    raise DynamoUnavailable("a write kept meeting transactions on the same item")


def shared_connection():
    """The low-level connection the entities use (endpoint, credentials, timeouts, call
    counting): TransactWrite needs it passed in, and PynamoDB has no public accessor."""
    return TableItem._get_connection().connection


def cancellation_codes(error: Exception) -> list[str | None]:
    """Why a transaction was cancelled, item by item in request order (None: not this one)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [reason.code if reason is not None else None for reason in reasons]


def refused_items(error: Exception) -> list[bool]:
    """For each item of a cancelled transaction, whether its own condition said no."""
    return [code == "ConditionalCheckFailed" for code in cancellation_codes(error)]


def only_busy(error: Exception) -> bool:
    """Cancelled only because DynamoDB was busy (a conflict, throttling), not by a condition."""
    codes = set(cancellation_codes(error)) - {None, "None"}
    return bool(codes) and codes <= RETRYABLE_REASONS


def configure(endpoint_url: str | None, table_name: str) -> None:
    """Point the entities at another endpoint or table (tests, the local emulator)."""
    TableItem.Meta.host = endpoint_url
    TableItem.Meta.table_name = table_name
    TableItem.Meta.aws_access_key_id = "local" if endpoint_url else None
    TableItem.Meta.aws_secret_access_key = "local" if endpoint_url else None
    TableItem._connection = None
    _instrumented_clients.clear()


def create_table(wait: bool = True) -> bool:
    """Create the table with its index and TTL if missing. Returns True when it was created."""
    created = False
    if not TableItem.exists():
        try:
            TableItem.create_table(billing_mode="PAY_PER_REQUEST", wait=wait)
            created = True
        except TableError as error:
            # Another process created it between our check and our create: that is fine.
            if error.cause_response_code != "ResourceInUseException":
                raise
    client = botocore_client()
    ttl = client.describe_time_to_live(TableName=TableItem.Meta.table_name)
    if ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in {"DISABLED"}:
        client.update_time_to_live(
            TableName=TableItem.Meta.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    return created


def truncate_table() -> None:
    """Delete every item (tests, and only on small tables: it scans)."""
    with TableItem.batch_write() as batch:
        for item in TableItem.scan(attributes_to_get=["pk", "sk", "kind"]):
            batch.delete(item)


def delete_table() -> None:
    if TableItem.exists():
        TableItem.delete_table()


def botocore_client():
    return TableItem._get_connection().connection.client


# --- Call accounting: how many DynamoDB calls a request made and how long they took. -----------


@dataclass
class CallStats:
    count: int = 0
    seconds: float = 0.0
    operations: list[str] = field(default_factory=list)


# A stack, so a test's count around a request still sees the calls the request's own
# logging middleware is counting.
_active_stats: contextvars.ContextVar[tuple[CallStats, ...]] = contextvars.ContextVar(
    "dynamo_call_stats", default=()
)
_call_started: contextvars.ContextVar[float] = contextvars.ContextVar("dynamo_call_started")
_instrumented_clients: set[int] = set()


def _before_call(**kwargs) -> None:
    _call_started.set(time.perf_counter())


def _after_call(event_name: str, **kwargs) -> None:
    # Events are named "after-call[-error].dynamodb.<Operation>".
    operation = event_name.rsplit(".", 1)[-1]
    elapsed = time.perf_counter() - _call_started.get(time.perf_counter())
    for stats in _active_stats.get():
        stats.count += 1
        stats.seconds += elapsed
        stats.operations.append(operation)


def instrument() -> None:
    """Register botocore event hooks on the shared client (again if botocore replaced it)."""
    client = botocore_client()
    if id(client) in _instrumented_clients:
        return
    client.meta.events.register("before-call.dynamodb", _before_call)
    client.meta.events.register("after-call.dynamodb", _after_call)
    client.meta.events.register("after-call-error.dynamodb", _after_call)
    _instrumented_clients.add(id(client))


@contextmanager
def count_calls() -> Iterator[CallStats]:
    """Count the DynamoDB calls made inside the block (by this thread or task)."""
    instrument()
    stats = CallStats()
    token = _active_stats.set((*_active_stats.get(), stats))
    try:
        yield stats
    finally:
        _active_stats.reset(token)
