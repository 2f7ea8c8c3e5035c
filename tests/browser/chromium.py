"""Debian's chromium as the browser tests and the benchmark launch it: never a browser a test
tool downloads, and none of chromium's own network traffic (this machine has no network)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
