"""gunicorn settings for the LetsHangOut container (``gunicorn -c gunicorn.conf.py``).

Sized for one Fargate task of 0.5-1 vCPU behind an Application Load Balancer.
Every knob that differs between environments comes from an environment variable.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import re

from gunicorn.glogging import Logger


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


# --- Sockets ---------------------------------------------------------------
bind = [f"0.0.0.0:{_env_int('PORT', 8000)}"]
backlog = 256

# --- Workers ---------------------------------------------------------------
# gthread: a request waiting on DynamoDB or PostgreSQL blocks a thread, not the
# whole process. os.cpu_count() reports the host's CPUs on Fargate, not the
# task's share, so the defaults are fixed numbers that fit 0.5-1 vCPU / 1 GiB:
# 2 processes (one can be recycled while the other serves) x 4 threads.
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", 2)
threads = _env_int("GUNICORN_THREADS", 4)

# Recycle workers now and then so slow leaks never build up; the jitter keeps
# both workers from restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# A worker that stops answering the arbiter for this long is killed. Requests
# themselves are bounded much lower by the DynamoDB/DB timeouts of the app.
timeout = _env_int("GUNICORN_TIMEOUT", 30)

# The ALB's idle timeout is 60 s: the server side must keep idle connections
# open longer than that, or the ALB may reuse a connection gunicorn has just
# closed and answer the client with a 502.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)

# ECS sends SIGTERM, then SIGKILL after the container's stopTimeout (30 s).
# Finish in-flight requests within 25 s so nothing is cut off by SIGKILL.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)

# The heartbeat file of each worker lives in memory: the root filesystem is
# read-only in production and a disk-backed /tmp can stall the heartbeat.
worker_tmp_dir = (
    "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
)

# gunicorn >= 25 opens a control socket under $HOME by default; the root
# filesystem is read-only and nothing uses it, so it stays off.
control_socket_disable = True

# --- Proxy -----------------------------------------------------------------
# Only the load balancer may tell us the original scheme. In the AWS stack
# FORWARDED_ALLOW_IPS is the VPC's CIDR (the ALB's nodes live there); locally
# and in the smoke test the proxy is on loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logging ---------------------------------------------------------------
# The app writes one JSON line per request itself, so gunicorn's access log is
# off unless asked for (GUNICORN_ACCESS_LOG=1); both go to stdout as JSON.
accesslog = "-" if _env_bool("GUNICORN_ACCESS_LOG") else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Lobby codes and personal-link tokens must never reach the logs.
_SECRET_PATH_PARTS = (
    (re.compile(r"^/l/[^/]+/me/[^/]+"), "/l/:code/me/:token"),
    (re.compile(r"^/l/[^/]+"), "/l/:code"),
)


def _iso_now() -> str:
    # The same shape as the app's lines (letshangout/logging.py).
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _redact_path(path: str) -> str:
    for pattern, replacement in _SECRET_PATH_PARTS:
        path, count = pattern.subn(replacement, path, count=1)
        if count:
            break
    return path


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same top-level keys as the app's lines."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            line["error"] = {
                "type": record.exc_info[0].__name__ if record.exc_info[0] else None,
                "stack": self.formatException(record.exc_info),
            }
        return json.dumps(line, ensure_ascii=False, default=str)


class JsonLogger(Logger):
    """gunicorn's logger, with JSON error lines and JSON access lines."""

    def setup(self, cfg):
        super().setup(cfg)
        # Access lines are built as JSON in access(); gunicorn's own access
        # formatter ("%(message)s") passes them through unchanged.
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in getattr(req, "headers", [])}
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        with contextlib.suppress(TypeError, ValueError):
            status = int(status)
        line = {
            "time": _iso_now(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": "access",
            "request_id": headers.get("x-request-id") or headers.get("x-amzn-trace-id"),
            "method": environ.get("REQUEST_METHOD"),
            "path": _redact_path(environ.get("PATH_INFO", "")),
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "bytes": getattr(resp, "sent", None),
        }
        try:
            self.access_log.info("%s", json.dumps(line, ensure_ascii=False))
        except Exception:
            self.exception("could not write the access log line")


logger_class = JsonLogger
