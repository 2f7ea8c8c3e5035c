#!/usr/bin/env bash
# Browser tests drive Debian's chromium; never a browser downloaded by a test tool.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "==> Chromium found: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "==> Installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "==> Chromium installed: $(/usr/bin/chromium --version)"
else
  echo "==> Chromium is missing and cannot be installed here (needs root and apt-get)."
  echo "    Browser tests will be skipped. Install it with: sudo apt-get install -y chromium"
fi
