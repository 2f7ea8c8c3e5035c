#!/usr/bin/env bash
# The real clients the tests drive, from Debian: chromium for the browser tests (never a
# browser downloaded by a test tool), vdirsyncer and khal for the calendar feed, zbarimg to
# read the QR code back.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v vdirsyncer >/dev/null || missing+=(vdirsyncer)
command -v khal >/dev/null || missing+=(khal)
command -v zbarimg >/dev/null || missing+=(zbar-tools)
if [ ${#missing[@]} -eq 0 ]; then
  echo "==> Chromium found: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium); vdirsyncer, khal and zbarimg found"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "==> Installing Debian's ${missing[*]} for the tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "==> Installed: ${missing[*]}"
else
  echo "==> Missing and cannot be installed here (needs root and apt-get): ${missing[*]}"
  echo "    The tests that need them will be skipped. Install them with: sudo apt-get install -y ${missing[*]}"
fi
