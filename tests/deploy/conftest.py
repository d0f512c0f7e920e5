import pytest

from hhht_power import runs


@pytest.fixture
def fresh_runs():
    """The test's own records of task runs, beat lock and queue (the test broker's Redis database)."""
    client = runs.broker_redis()

    def clear():
        client.delete(*client.keys("hhht:*"), "celery")

    clear()
    yield client
    clear()
