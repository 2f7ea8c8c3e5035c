import pytest


@pytest.fixture(autouse=True)
def dynamodb():
    """Pure code: no table, no emulator."""
    return None
