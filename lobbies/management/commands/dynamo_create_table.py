from __future__ import annotations

from django.core.management.base import BaseCommand

from letshangout import dynamo


class Command(BaseCommand):
    help = (
        "Create the DynamoDB table with its GSI (gsi1) and TTL on expires_at, if missing. "
        "Safe to run any number of times."
    )

    def handle(self, *args, **options):
        table = dynamo.TableItem.Meta.table_name
        where = dynamo.TableItem.Meta.host or "AWS"
        created = dynamo.create_table()
        verb = "Created" if created else "Already there:"
        self.stdout.write(self.style.SUCCESS(f"{verb} table {table!r} at {where}, TTL on."))
