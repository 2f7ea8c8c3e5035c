"""JSON log lines on stdout, one object per line, for CloudWatch Logs.

Logs must never hold secrets, lobby codes, personal-link tokens or email addresses. The
request line only carries route names, but other lines quote paths and exception messages
(Django's "Internal Server Error: /l/ABCD2345/join/", a library's error text), so every
message, string field and stack trace is scrubbed here, at the one place all lines pass.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed in `extra` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Never logged even when passed in `extra`: these could carry secrets or personal data.
_REDACTED = {"request", "password", "token", "email", "code", "cookie", "authorization"}

_CODE_CHARS = "0-9A-HJKMNP-TV-Z"  # Crockford base32, as lobby codes use
_SCRUB = [
    # /l/<code>/... and /me/<token>/ in paths, whatever was typed there.
    (re.compile(r"/l/[^/\s'\"?#]+"), "/l/<code>"),
    (re.compile(r"/me/[^/\s'\"?#]+"), "/me/<token>"),
    (re.compile(r"LOBBY#[^\s'\",}]+"), "LOBBY#<code>"),
    # Query strings and form-like text: code=..., token=..., password=..., email=...
    (
        re.compile(r"(?i)\b(code|token|key|password|secret|email|login)=[^&\s'\"]+"),
        r"\1=<redacted>",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    # A lobby code on its own, shown (ABCD-EFGH) or stored (ABCDEFGH); all digits is far
    # more likely a number (a time, part of a trace id) than one of the rare numeric codes.
    (
        re.compile(rf"\b(?![0-9]{{4}}-?[0-9]{{4}}\b)[{_CODE_CHARS}]{{4}}-?[{_CODE_CHARS}]{{4}}\b"),
        "<code>",
    ),
]


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def _is_counts(value) -> bool:
    """Counts by name (the fragments a request rendered): kept as a JSON object, since names
    chosen in code and numbers hold nothing to scrub."""
    return isinstance(value, dict) and all(
        isinstance(name, str) and isinstance(count, int) for name, count in value.items()
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in _REDACTED or key.startswith("_"):
                continue
            if isinstance(value, str):
                entry[key] = scrub(value)
            elif isinstance(value, int | float | bool | None) or _is_counts(value):
                entry[key] = value
            else:
                entry[key] = scrub(str(value))
        if record.exc_info:
            entry["error"] = {
                "type": record.exc_info[0].__name__ if record.exc_info[0] else None,
                "stack": scrub("".join(traceback.format_exception(*record.exc_info))),
            }
        return json.dumps(entry, default=str)


def logging_config(level: str) -> dict:
    """Django's LOGGING: every line through JsonFormatter on stdout, chatty libraries quieter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "letshangout.logging.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",  # StreamHandler's default is stderr
                "formatter": "json",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR", "propagate": True},
            "django.server": {"level": "WARNING"},
            "botocore": {"level": "WARNING"},
            "pynamodb": {"level": "WARNING"},
        },
    }
