"""DynamoDB's documented rules, enforced in an HTTP proxy in front of DynamoDB Local.

The emulator applies writes one after the other and never cancels a transaction for meeting
another one; DynamoDB does. Every process of a test run, a reliability run or a benchmark
talks to DynamoDB Local through one `RulesProxy`, which forwards requests unchanged and
answers, in DynamoDB's own JSON, where DynamoDB would refuse:

- a TransactWriteItems touching an item (ConditionCheck included) that another
  TransactWriteItems, or a PutItem, UpdateItem or DeleteItem, is writing at that moment is
  cancelled with `TransactionConflict` for that item (`None` for the others);
- a PutItem, UpdateItem or DeleteItem on an item a TransactWriteItems is writing gets
  `TransactionConflictException`;
- more than 100 actions or 4 MB in a transaction, an item over 400 KB, more than 25 writes
  in a BatchWriteItem or 100 keys in a BatchGetItem: `ValidationException`;
- a Query page holds at most 1 MB of items, then a LastEvaluatedKey.

The size of an item an UpdateItem would produce is left to the emulator, which computes it
from the stored item (the proxy only sees the request).

`hold_ms` keeps each transaction in flight at least that long: the emulator commits in
well under a millisecond, DynamoDB's two-phase commit takes milliseconds, and only a window
that long lets bursts of saves meet as they do on AWS.

Command line, for scripts that run the app in other processes:
    python -m letshangout.emulator.rules --upstream http://127.0.0.1:8000 --port 8001 --hold-ms 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from letshangout.emulator import limits
from letshangout.emulator.limits import Refusal, Reply

TARGET_PREFIX = "DynamoDB_20120810."
SINGLE_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
CHECKED = SINGLE_WRITES | {"TransactWriteItems", "BatchWriteItem", "BatchGetItem", "Query"}
ONGOING = "Transaction is ongoing for the item"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
# A test that holds a request waits for its release at most this long, so a failed test
# never leaves a proxy thread behind for good.
GATE_TIMEOUT_SECONDS = 30


def cancelled(conflicts: list[bool]) -> Refusal:
    """TransactionCanceledException as DynamoDB words it: one reason per action, in order."""
    reasons = [
        {"Code": "TransactionConflict", "Message": ONGOING} if hit else {"Code": "None"}
        for hit in conflicts
    ]
    codes = ", ".join(reason["Code"] for reason in reasons)
    return Refusal(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        message_key="Message",
        CancellationReasons=reasons,
    )


class UpstreamDown(Exception):
    """DynamoDB Local did not answer."""


# What DynamoDB answers when it cannot serve a request. Dropping the connection instead would
# look like a network fault, which botocore reports differently from an emulator that is down.
SERVICE_UNAVAILABLE = Refusal(
    "ServiceUnavailable", "The service is currently unavailable or busy.", status=503
)


@dataclass
class Gate:
    """Holds one request in flight until a test releases it."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class InFlight:
    """The items being written right now, by transactions and by single writes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._in_transactions: set[str] = set()
        self._in_single_writes: Counter[str] = Counter()
        self._gates: dict[str, Gate] = {}

    def begin_transaction(self, keys: list[str]) -> list[bool]:
        """Which keys meet another write; when none does, the keys are now this one's."""
        with self._lock:
            conflicts = [k in self._in_transactions or k in self._in_single_writes for k in keys]
            if not any(conflicts):
                self._in_transactions.update(keys)
            return conflicts

    def end_transaction(self, keys: list[str]) -> None:
        with self._lock:
            self._in_transactions.difference_update(keys)

    def begin_single_write(self, key: str) -> bool:
        """False when a transaction is writing the item; otherwise the write is in flight."""
        with self._lock:
            if key in self._in_transactions:
                return False
            self._in_single_writes[key] += 1
            return True

    def end_single_write(self, key: str) -> None:
        with self._lock:
            self._in_single_writes[key] -= 1
            if self._in_single_writes[key] <= 0:
                del self._in_single_writes[key]

    def hold_next(self, operation: str) -> Gate:
        gate = Gate()
        with self._lock:
            self._gates[operation] = gate
        return gate

    def pass_gate(self, operation: str) -> None:
        """Wait here if a test asked to hold the next request of this operation."""
        with self._lock:
            gate = self._gates.pop(operation, None)
        if gate is not None:
            gate.arrived.set()
            gate.released.wait(GATE_TIMEOUT_SECONDS)


class Upstream:
    """Keep-alive connections to DynamoDB Local, one per proxy thread."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self._local = threading.local()

    def send(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        for attempt in range(2):
            reused = getattr(self._local, "connection", None) is not None
            connection = self._connection()
            try:
                connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    connection.putheader(name, value)
                connection.endheaders(body)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.close()
                # A kept-alive connection the emulator closed meanwhile: one fresh try.
                if attempt or not reused:
                    raise UpstreamDown from error
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Reply(response.status, response.getheaders(), data)
        raise UpstreamDown

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self._local.connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None


class RulesProxy:
    """A ThreadingHTTPServer in a daemon thread that forwards to `upstream` under the rules."""

    def __init__(self, upstream: str, hold_ms: int = 0, port: int = 0):
        self.upstream = Upstream(upstream)
        self.hold_ms = hold_ms
        self.in_flight = InFlight()
        self._schemas: dict[str, dict] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), RulesHandler)
        self._server.daemon_threads = True
        self._server.rules = self
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hold_next(self, operation: str) -> Gate:
        """Tests: the next `operation` request stays in flight until `gate.released` is set."""
        return self.in_flight.hold_next(operation)

    # --- one request ----------------------------------------------------------------------

    def answer(self, operation: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        if operation not in CHECKED:
            if operation in {"CreateTable", "DeleteTable"}:
                self._schemas.clear()
            return self.upstream.send("POST", "/", headers, body)
        request = json.loads(body)
        try:
            limits.check_limits(operation, request)
            if operation == "TransactWriteItems":
                return self._transaction(request, headers, body)
            if operation in SINGLE_WRITES:
                return self._single_write(operation, request, headers, body)
        except Refusal as refusal:
            return refusal.reply()
        reply = self.upstream.send("POST", "/", headers, body)
        if operation == "Query":
            return self._first_page(request, reply, headers)
        return reply

    def _transaction(self, request: dict, headers, body: bytes) -> Reply:
        started = time.monotonic()
        keys = [self._action_key(action, headers) for action in request["TransactItems"]]
        conflicts = self.in_flight.begin_transaction(keys)
        if any(conflicts):
            raise cancelled(conflicts)
        try:
            self.in_flight.pass_gate("TransactWriteItems")
            reply = self.upstream.send("POST", "/", headers, body)
            remaining = self.hold_ms / 1000 - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
            return reply
        finally:
            self.in_flight.end_transaction(keys)

    def _single_write(self, operation: str, request: dict, headers, body: bytes) -> Reply:
        if operation == "PutItem":
            key = self._item_key(request["TableName"], request["Item"], headers)
        else:
            key = canonical_key(request["TableName"], request["Key"])
        if not self.in_flight.begin_single_write(key):
            raise Refusal("TransactionConflictException", ONGOING)
        try:
            self.in_flight.pass_gate(operation)
            return self.upstream.send("POST", "/", headers, body)
        finally:
            self.in_flight.end_single_write(key)

    def _first_page(self, request: dict, reply: Reply, headers) -> Reply:
        # JSON is never smaller than DynamoDB's count of the same items: a reply under 1 MB
        # holds under 1 MB of items, and most replies are never parsed.
        if reply.status != 200 or len(reply.body) <= limits.QUERY_PAGE_LIMIT:
            return reply
        if "FilterExpression" in request or request.get("Select") == "COUNT":
            return reply  # the limit counts items read before the filter: not visible here
        result = json.loads(reply.body)
        count = limits.first_page(result["Items"])
        if count == len(result["Items"]):
            return reply
        schema = self._schema(request["TableName"], headers)
        names = key_names(schema, request.get("IndexName"))
        last = result["Items"][count - 1]
        result.update(
            Items=result["Items"][:count],
            Count=count,
            ScannedCount=count,
            LastEvaluatedKey={name: last[name] for name in names},
        )
        return with_body(reply, json.dumps(result).encode())

    # --- keys -----------------------------------------------------------------------------

    def _action_key(self, action: dict, headers) -> str:
        kind, body = next(iter(action.items()))
        if kind == "Put":
            return self._item_key(body["TableName"], body["Item"], headers)
        return canonical_key(body["TableName"], body["Key"])

    def _item_key(self, table: str, item: dict, headers) -> str:
        names = key_names(self._schema(table, headers), None)
        return canonical_key(table, {name: item[name] for name in names if name in item})

    def _schema(self, table: str, headers) -> dict:
        """The table's description (key schema, indexes), asked of the emulator once."""
        if table not in self._schemas:
            asked = [(n, v) for n, v in headers if n.lower() not in {"x-amz-target"}]
            asked.append(("X-Amz-Target", TARGET_PREFIX + "DescribeTable"))
            body = json.dumps({"TableName": table}).encode()
            reply = self.upstream.send("POST", "/", with_length(asked, body), body)
            self._schemas[table] = json.loads(reply.body).get("Table", {})
        return self._schemas[table]


def canonical_key(table: str, key: dict) -> str:
    return table + "\n" + json.dumps(key, sort_keys=True, separators=(",", ":"))


def key_names(schema: dict, index_name: str | None) -> list[str]:
    """The table's key attributes, and the index's too when a Query reads an index."""
    names = [part["AttributeName"] for part in schema.get("KeySchema", [])]
    indexes = schema.get("GlobalSecondaryIndexes", []) + schema.get("LocalSecondaryIndexes", [])
    for index in indexes:
        if index["IndexName"] == index_name:
            names += [
                p["AttributeName"] for p in index["KeySchema"] if p["AttributeName"] not in names
            ]
    return names


def with_length(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    kept = [(n, v) for n, v in headers if n.lower() != "content-length"]
    return [*kept, ("Content-Length", str(len(body)))]


def with_body(reply: Reply, body: bytes) -> Reply:
    """The same reply with a new body: its length and checksum follow (botocore checks it)."""
    headers = [(n, v) for n, v in reply.headers if n.lower() != "x-amz-crc32"]
    return Reply(reply.status, [*headers, ("x-amz-crc32", str(zlib.crc32(body)))], body)


class RulesHandler(BaseHTTPRequestHandler):
    """Reads a request, lets the proxy answer it, writes the answer; keeps connections open."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment, without waiting for the client's ACK of the
    # last one: otherwise Nagle's algorithm and delayed ACKs add tens of milliseconds a call.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        operation = self.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
        self.relay(lambda rules, headers: rules.answer(operation, headers, body))

    def do_GET(self) -> None:
        self.relay(lambda rules, headers: rules.upstream.send("GET", self.path, headers, b""))

    def relay(self, answer) -> None:
        headers = [(n, v) for n, v in self.headers.items() if n.lower() not in HOP_BY_HOP]
        try:
            reply = answer(self.server.rules, headers)
        except UpstreamDown:
            reply = SERVICE_UNAVAILABLE.reply()
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            if name.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the app logs its own DynamoDB calls."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="DynamoDB Local's URL")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hold-ms", type=int, default=0)
    args = parser.parse_args()
    proxy = RulesProxy(args.upstream, hold_ms=args.hold_ms, port=args.port)
    print(f"DynamoDB rules proxy on {proxy.endpoint_url} -> {args.upstream}", flush=True)
    proxy._server.serve_forever()


if __name__ == "__main__":
    main()
