#!/usr/bin/env bash
# Django's own tables (users, sessions, the cache table, the admin log) live in PostgreSQL in
# production; run the tests that touch them against a real server when one is reachable.
set -euo pipefail
PG_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PY=.venv/bin/python
if ! $PY - "$PG_URL" <<'PYEOF' 2>/dev/null; then
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=2).close()
PYEOF
  echo "==> No PostgreSQL reachable at ${PG_URL%%\?*}; Django's tables stay on SQLite."
  exit 0
fi
DB_URL="${PG_URL%/*}/letshangout"
echo "==> PostgreSQL reachable: migrations and the database-touching tests on it"
DJANGO_ENV=test $PY manage.py makemigrations --check --dry-run
shopt -s nullglob
TESTS=(tests/test_accounts.py tests/test_sessions.py tests/test_lobby_views.py tests/test_admin*.py tests/test_ratelimit*.py tests/test_health*.py)
DATABASE_URL="$DB_URL" DJANGO_ENV=test $PY -m pytest -q -p no:cacheprovider "${TESTS[@]}"
