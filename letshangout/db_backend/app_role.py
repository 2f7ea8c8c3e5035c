"""Create or update the app's own database role, with data access only.

    python -m letshangout.db_backend.app_role

The migrate task runs it as the master user, after `migrate` and `createcachetable`, so the
tables exist; every statement is idempotent. The role (DATABASE_APP_USER, letshangout_app by
default) may read and write rows of every table and sequence in the public schema, now and
later (default privileges of the migrating user), and nothing else: no DDL, no other roles.

On RDS it is granted `rds_iam`, so it signs in with IAM tokens only (letshangout.db_backend).
Where there is no IAM (docker compose), DATABASE_APP_PASSWORD gives it a password instead.
"""

from __future__ import annotations

import os
import sys

from psycopg import sql

DEFAULT_ROLE = "letshangout_app"


def statements(
    role: str, database: str, *, create: bool, password: str, rds_iam: bool
) -> list[sql.Composed]:
    """The SQL for `role` in `database`, in order. `create`: the role does not exist yet;
    `rds_iam`: the server has RDS's rds_iam role."""
    r = sql.Identifier(role)
    out: list[sql.Composed] = []
    if create:
        out.append(sql.SQL("CREATE ROLE {} LOGIN").format(r))
    if password:
        out.append(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(r, sql.Literal(password)))
    if rds_iam:
        out.append(sql.SQL("GRANT rds_iam TO {}").format(r))
    out += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            r
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(r),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}"
        ).format(r),
    ]
    return out


def main() -> int:
    import django

    django.setup()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        print(f"app_role: {connection.vendor} has no roles; nothing to do.")
        return 0
    role = os.environ.get("DATABASE_APP_USER", "").strip() or DEFAULT_ROLE
    password = os.environ.get("DATABASE_APP_PASSWORD", "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [[role, "rds_iam"]])
        found = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
        for statement in statements(
            role, database, create=role not in found, password=password, rds_iam="rds_iam" in found
        ):
            cursor.execute(statement.as_string(connection.connection))
    how = "IAM tokens" if "rds_iam" in found else ("a password" if password else "no login yet")
    print(f"app_role: {role} may read and write the app's tables (signs in with {how}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
