"""The importers' messages are asserted in English (the UI shows them in Chinese)."""

import pytest


@pytest.fixture(autouse=True)
def _english(english):
    yield
