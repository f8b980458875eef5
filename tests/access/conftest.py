"""The access matrix's world: tests/world.py."""

from tests.world import world  # noqa: F401 - the fixture
