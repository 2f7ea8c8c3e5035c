"""The Django admin for LetsHangOut: allauth's sign-in in front of it, and lobbies beside the
ORM models although they live in DynamoDB (plain staff-only views styled as the admin)."""
