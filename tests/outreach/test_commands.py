"""Carrying out headquarters' commands: a broadcast like one sent at the base, refused with the
reason when it cannot be carried out (the counter is spent all the same), and the daily budget
forced only where the base allows it."""

from __future__ import annotations

import json

import pytest

from gateway.outreach.commands import MqttCommands
from gateway.outreach.hq_wire import BroadcastRequest, HqCommand, sign_mqtt
from gateway.outreach.templates import load_book
from gateway.store import broadcasts as broadcast_store
from tests.outreach.conftest import make_base

KEY = b"k3y-for-tests-0123456789abcdef"


@pytest.fixture
def desk(tmp_path, request):
    config, store = make_base(tmp_path, "\n[outreach]\ndaily_sms_budget = 4\n"
                              + getattr(request, "param", ""), mqtt_port=1883)
    yield MqttCommands(store, config, KEY, load_book()), store
    store.close()


def take(desk, counter: int, request: BroadcastRequest) -> bool:
    commands, _ = desk
    return commands.take(sign_mqtt(KEY, "KWJ", HqCommand(counter, "broadcast", request)))


def answers(store) -> list[dict]:
    return [json.loads(body) for (body,) in store.db.execute(
        "SELECT body FROM outbox WHERE destination = 'mqtt' ORDER BY id")]


def test_a_broadcast_command_is_a_broadcast_and_what_cannot_be_done_is_refused(desk):
    _, store = desk
    assert take(desk, 10, BroadcastRequest("zone:north AND group:chiefs", 1,
                                           {"place": "Kamango"}))
    (row,) = broadcast_store.listing(store.db)
    assert (row.origin, row.counter, row.by, row.sms_parts) == ("mqtt", 10, "headquarters", 2)
    assert take(desk, 11, BroadcastRequest("zone:nowhere", 6))
    assert take(desk, 12, BroadcastRequest("all", 1))  # the template's place is missing
    assert take(desk, 13, BroadcastRequest("all", 6))  # 5 SMS: over the budget left (2)
    assert len(broadcast_store.listing(store.db)) == 1
    refused = [(a["counter"], a["outcome"]) for a in answers(store) if a["event"] == "command"]
    assert [counter for counter, _ in refused] == [11, 12, 13]
    assert "no village is in zone 'nowhere'" in refused[0][1]
    assert "needs place" in refused[1][1] and "over the budget" in refused[2][1]
    assert store.db.execute("SELECT counter, accepted FROM sbd_commands ORDER BY id").fetchall(
        ) == [(10, 1), (11, 1), (12, 1), (13, 1)]


@pytest.mark.parametrize(("desk", "forced"), [("", False), ("hq_may_force = true\n", True)],
                         indirect=["desk"])
def test_headquarters_may_force_the_budget_only_where_the_base_allows_it(desk, forced):
    _, store = desk
    take(desk, 20, BroadcastRequest("all", 6, force=True))
    assert len(broadcast_store.listing(store.db)) == int(forced)
