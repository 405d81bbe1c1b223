"""The write-latency benchmark: every write succeeds whatever the broker's state, and what it owes
waits in the outbox when the broker cannot take it."""

from __future__ import annotations

import pytest

from bench.write_latency import measure


@pytest.mark.django_db(transaction=True)  # each write commits and publishes after its commit
def test_writes_succeed_with_the_broker_down_or_hung_and_their_messages_wait():
    down, hung = measure(writes=2, modes=("down", "hung"))

    for result in (down, hung):
        assert result.statuses == {201}
        assert len(result.milliseconds) == 2
        # Each write owes an "assigned" notification and its reset a "cancelled" one.
        assert result.left_pending == 4
