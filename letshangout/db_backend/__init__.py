"""PostgreSQL with RDS IAM authentication (ENGINE "letshangout.db_backend").

On AWS the app holds no database password at all: each new connection gets a fresh IAM
authentication token, signed locally with the task role's credentials, for the app's own
least-privileged role (created by `python -m letshangout.db_backend.app_role`, which the
migrate task runs as the master user). RDS rotates the master password freely; the app never
sees it, so a rotation cannot break running tasks.
"""
