"""DynamoDB's size limits, computed by its documented item-size rules, on the JSON wire format.

Pure functions over the low-level JSON (`{"S": "..."}`, `{"M": {...}}`), used by the rules
proxy (dynamo_rules.py). An item's size is the sum of its attribute names' UTF-8 lengths and
its values' sizes: a string its UTF-8 length, a number about one byte per two significant
digits plus one, a binary its length, a null or boolean one byte, a list or map three bytes
plus one byte and the size of each element (a map's names included), a set the sum of its
members.
"""

from __future__ import annotations

import base64
import math

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
