"""The reliability suite's pytest part reuses the test suite's fixtures (DynamoDB Local in
memory, a clean table per test, generous rate limits)."""

from tests.conftest import *  # noqa: F403
