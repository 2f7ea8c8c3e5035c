#!/usr/bin/env bash
# compilemessages needs GNU gettext's msgfmt: install Debian's package when we can, else say how.
set -euo pipefail
if command -v msgfmt >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "==> Installing gettext (msgfmt compiles the translations)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
else
  echo "LetsHangOut's translations need GNU gettext (msgfmt). Install it, e.g. 'sudo apt-get install -y gettext' or 'brew install gettext'." >&2
  exit 1
fi
