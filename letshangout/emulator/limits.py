"""DynamoDB's size and count limits, on the JSON wire format, and its answers when a request
breaks one, for the rules proxy (dynamo_rules.py).

Sizes follow DynamoDB's documented item-size rules, over the low-level JSON (`{"S": "..."}`).
An item's size is the sum of its attribute names' UTF-8 lengths and its values' sizes: a
string its UTF-8 length, a number about one byte per two significant digits plus one, a
binary its length, a null or boolean one byte, a list or map three bytes plus one byte and
the size of each element (a map's names included), a set the sum of its members.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
import zlib
from dataclasses import dataclass

ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
ITEM_LIMIT = 400 * 1024
TRANSACTION_PAYLOAD_LIMIT = 4 * 1024 * 1024
QUERY_PAGE_LIMIT = 1024 * 1024
TRANSACTION_ACTIONS_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100


def text_size(text: str) -> int:
    return len(text.encode("utf-8"))


def number_size(text: str) -> int:
    digits = text.lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1


def binary_size(encoded: str) -> int:
    return len(base64.b64decode(encoded))


def value_size(value: dict) -> int:
    """The size of one attribute value, without its name."""
    kind, content = next(iter(value.items()))
    if kind == "S":
        return text_size(content)
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return binary_size(content)
    if kind in {"NULL", "BOOL"}:
        return 1
    if kind == "SS":
        return sum(text_size(member) for member in content)
    if kind == "NS":
        return sum(number_size(member) for member in content)
    if kind == "BS":
        return sum(binary_size(member) for member in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + text_size(name) + value_size(v) for name, v in content.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: dict) -> int:
    return sum(text_size(name) + value_size(value) for name, value in item.items())


def transaction_action_size(action: dict) -> int:
    """What one TransactWriteItems action carries: the whole item for a Put; the key and the
    values it brings for an Update; the key for a Delete or a ConditionCheck."""
    kind, body = next(iter(action.items()))
    if kind == "Put":
        return item_size(body["Item"])
    size = item_size(body["Key"])
    if kind == "Update":
        size += item_size(body.get("ExpressionAttributeValues", {}))
    return size


def first_page(items: list[dict]) -> int:
    """How many items a Query returns in one page: it stops at the item that brings the
    page to 1 MB (that item included, as DynamoDB and its emulator do)."""
    total = 0
    for count, item in enumerate(items, start=1):
        total += item_size(item)
        if total >= QUERY_PAGE_LIMIT:
            return count
    return len(items)


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Refusal(Exception):
    """An error DynamoDB would answer instead of what the emulator would do."""

    def __init__(
        self, error_type: str, message: str, message_key: str = "message", status=400, **extra
    ):
        super().__init__(message)
        self.status = status
        self.payload = {"__type": ERROR_PREFIX + error_type, message_key: message, **extra}

    def reply(self) -> Reply:
        body = json.dumps(self.payload).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", uuid.uuid4().hex.upper()),
            ("x-amz-crc32", str(zlib.crc32(body))),
        ]
        return Reply(self.status, headers, body)


def validation(message: str) -> Refusal:
    return Refusal("ValidationException", message)


def check_limits(operation: str, request: dict) -> None:
    """The size and count limits that do not depend on what is stored."""
    if operation == "TransactWriteItems":
        check_transaction_limits(request["TransactItems"])
    elif operation == "PutItem" and item_size(request["Item"]) > ITEM_LIMIT:
        raise validation("Item size has exceeded the maximum allowed size")
    elif operation == "BatchWriteItem":
        if sum(map(len, request["RequestItems"].values())) > BATCH_WRITE_LIMIT:
            raise validation("Too many items requested for the BatchWriteItem call")
    elif operation == "BatchGetItem":
        keys = sum(len(table["Keys"]) for table in request["RequestItems"].values())
        if keys > BATCH_GET_LIMIT:
            raise validation("Too many items requested for the BatchGetItem call")


def check_transaction_limits(actions: list[dict]) -> None:
    if len(actions) > TRANSACTION_ACTIONS_LIMIT:
        raise validation(
            "1 validation error detected: Value at 'transactItems' failed to satisfy "
            "constraint: Member must have length less than or equal to 100"
        )
    for action in actions:
        if "Put" in action and item_size(action["Put"]["Item"]) > ITEM_LIMIT:
            raise validation("Item size has exceeded the maximum allowed size")
    payload = sum(transaction_action_size(action) for action in actions)
    if payload > TRANSACTION_PAYLOAD_LIMIT:
        raise validation(f"Transaction payload size cannot exceed 4MB. Payload Size: {payload}")
