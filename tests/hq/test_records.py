"""Headquarters' record of every base (gateway/hq/records.py, liveness.py, views.py, places.py)
on a real SQLite file: copies de-duplicated by id, the base's copy over the satellite's, the
highest incident version, the last status, silent bases, and the cross-base queries."""

from __future__ import annotations

import json

import pytest

from gateway.hq import liveness, views
from gateway.hq.places import PlaceIndex, name_key, shared_village_alerts
from gateway.hq.records import Incoming, apply, open_records
from gateway.hq.store import HqStore
from gateway.model import Village

T0 = 1_790_000_000.0


@pytest.fixture
def conn(tmp_path):
    connection = open_records(tmp_path / "hq.db")
    yield connection
    connection.close()


class Stream:
    """Messages as the cluster would hand them over, numbered in order."""

    def __init__(self) -> None:
        self.seq = 0

    def __call__(self, base: str, kind: str, payload: dict | bytes, at: float = T0) -> Incoming:
        self.seq += 1
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return Incoming(self.seq, base, kind, data, at, f"$MQTT.msgs.can.v1.{base}.{kind}")


def alert(uid: str, base: str = "KWJ", **extra: object) -> dict:
    return {"schema": 1, "id": uid, "base": base, "severity": "Extreme", "code": "2",
            "received_at": "2026-09-21T10:00:00.000Z", "village": {"number": 12, "name": "Kamango"},
            "text": "alerte 2 kamango", **extra}


def rows(conn, sql, params=()):
    return conn.execute(sql, params).fetchall()


def test_an_alert_resent_or_delivered_again_is_kept_once(conn):
    message = Stream()
    first = message("KWJ", "alerts", alert("KWJ-1-1"))
    tally = apply(conn, [first, message("KWJ", "alerts", alert("KWJ-1-1"))], T0 + 1)
    tally += apply(conn, [first], T0 + 2)  # the cluster delivering again an unacknowledged one
    assert tally == {"alert": 1, "duplicate": 2}
    assert rows(conn, "SELECT uid, via, copies, stream_seq, stored_at FROM hq_alerts") == [
        ("KWJ-1-1", "base", 3, 1, T0 + 1)]


def test_the_bases_own_copy_replaces_a_satellite_copy_and_never_the_reverse(conn):
    message = Stream()
    satellite = alert("KWJ-1-7", via="satellite", text="alerte 2 kam", text_truncated=True)
    assert apply(conn, [message("KWJ", "alerts", satellite)], T0) == {"alert": 1}
    assert apply(conn, [message("KWJ", "alerts", alert("KWJ-1-7"))], T0 + 5) == {
        "replaced satellite copy": 1}
    assert apply(conn, [message("KWJ", "alerts", satellite)], T0 + 9) == {"duplicate": 1}
    via, copies, payload = rows(conn, "SELECT via, copies, payload FROM hq_alerts")[0]
    assert (via, copies, json.loads(payload)["text"]) == ("base", 3, "alerte 2 kamango")


def test_an_incident_keeps_its_highest_version(conn):
    message = Stream()

    def incident(version: int, **extra: object) -> Incoming:
        return message("KWJ", "incidents", {"id": "KWJ-1-I1", "base": "KWJ", "version": version,
                                            "state": "open", "severity": "Severe", **extra})

    apply(conn, [incident(1), incident(3, state="responding"), incident(2, state="seen")], T0)
    apply(conn, [incident(3, state="responding", via="satellite")], T0)
    assert rows(conn, "SELECT version, state, via, copies FROM hq_incidents") == [
        (3, "responding", "base", 4)]
    apply(conn, [incident(4, state="closed", via="satellite"), incident(4, state="closed")], T0)
    assert rows(conn, "SELECT version, state, via FROM hq_incidents") == [(4, "closed", "base")]


def test_the_status_the_cluster_stored_last_wins_and_every_message_counts_as_heard(conn):
    message = Stream()
    online = message("KWJ", "status", {"base": "KWJ", "state": "online"}, T0 + 10)
    will = message("KWJ", "status", {"base": "KWJ", "state": "offline", "reason": "lost"}, T0 + 5)
    apply(conn, [online, will, message("KWJ", "alerts", alert("KWJ-1-2"), T0 + 20)], T0 + 30)
    assert rows(conn, "SELECT state, reason, status_at, heard_at FROM hq_bases") == [
        ("online", None, T0 + 10, T0 + 20)]


def test_the_will_of_an_earlier_connection_does_not_undo_the_next_ones_online(conn):
    """NATS delivers a connection's will when the session moves to another node, which can be
    after the new connection's first status: the connection names tell them apart."""
    message = Stream()

    def status(state: str, connection: str, at: float, reason: str | None = None) -> Incoming:
        return message("KWJ", "status", {"base": "KWJ", "state": state, "reason": reason,
                                         "connection": connection}, at)

    def stored():
        return rows(conn, "SELECT state, json_extract(status, '$.connection'), heard_at FROM hq_bases")

    apply(conn, [status("online", "a1-1", T0)], T0)
    tally = apply(conn, [status("online", "a1-2", T0 + 5), status("offline", "a1-1", T0 + 6, "lost")], T0 + 6)
    assert tally == {"status": 1, "stale will": 1}
    assert stored() == [("online", "a1-2", T0 + 5)]  # a will is no sign of life either
    apply(conn, [status("offline", "ff-1", T0 + 7, "lost")], T0 + 7)  # a will of an earlier run
    assert stored()[0][0] == "online"
    apply(conn, [status("offline", "a1-3", T0 + 8, "lost")], T0 + 8)  # its next connection's
    assert stored() == [("offline", "a1-3", T0 + 5)]
    apply(conn, [status("online", "a1-4", T0 + 9), status("offline", "a1-4", T0 + 20, "lost")], T0 + 20)
    assert stored() == [("offline", "a1-4", T0 + 9)]  # the will of the connection it was on


def test_events_are_kept_once_and_what_cannot_be_a_report_is_kept_apart(conn):
    message = Stream()
    seen = {"event": "seen", "base": "KWJ", "id": "KWJ-1-2", "seen_at": "2026-09-21T10:01:00Z"}
    figures = {"base": "KWJ", "date": "2026-09-21", "reports": 4}
    batch = [message("KWJ", "events", seen), message("KWJ", "events", seen),
             message("KWJ", "network", figures), message("KWJ", "network", figures),
             message("KWJ", "alerts", b"\xff not json"), message("KWJ", "alerts", {"base": "KWJ"}),
             message("KWJ", "alerts", alert("BNI-1-1", base="BNI")),
             message("KWJ", "incidents", {"id": "KWJ-1-I9", "base": "KWJ"})]
    assert apply(conn, batch, T0) == {"event": 2, "duplicate": 2, "refused": 4}
    assert rows(conn, "SELECT event FROM hq_events ORDER BY event") == [("network",), ("seen",)]
    assert rows(conn, "SELECT stream_seq, reason FROM hq_refused ORDER BY stream_seq") == [
        (5, "not JSON"), (6, "no id"), (7, "published under base KWJ but names base 'BNI'"),
        (8, "an incident without a version number")]
    assert rows(conn, "SELECT COUNT(*) FROM hq_alerts") == [(0,)]


def test_the_collectors_tables_live_beside_the_bridges_in_one_file(tmp_path):
    bridge = HqStore(tmp_path / "hq.db")
    records = open_records(tmp_path / "hq.db")
    try:
        tables = {name for name, in rows(records, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"deliveries", "command_counters", "hq_alerts", "hq_bases"} <= tables
    finally:
        records.close()
        bridge.close()


def test_a_base_offline_or_quiet_is_raised_once_and_cleared_when_heard(conn):
    message = Stream()
    apply(conn, [message("KWJ", "status", {"state": "online"}, T0),
                 message("BNI", "status", {"state": "online"}, T0),
                 message("GOM", "status", {"state": "offline", "reason": "lost"}, T0)], T0)
    ids = ["KWJ", "BNI", "GOM", "MVV"]
    assert liveness.watch(conn, ids, T0 + 100, 300, watching_since=T0) == [
        liveness.Change("GOM", "base_silent", "its status says offline (lost)")]
    apply(conn, [message("BNI", "status", {"state": "online"}, T0 + 250)], T0 + 250)
    changes = liveness.watch(conn, ids, T0 + 301, 300, watching_since=T0)
    assert changes == [liveness.Change("KWJ", "base_silent", "nothing received for 301 s"),
                       liveness.Change("MVV", "base_silent", "never heard")]
    assert liveness.watch(conn, ids, T0 + 302, 300, watching_since=T0) == []  # raised once
    apply(conn, [message("GOM", "status", {"state": "online"}, T0 + 303)], T0 + 303)
    assert liveness.watch(conn, ids, T0 + 304, 300, watching_since=T0) == [
        liveness.Change("GOM", "base_back", None)]
    events = rows(conn, "SELECT base, event, via FROM hq_events ORDER BY at, base")
    assert events == [("GOM", "base_silent", "hq"), ("KWJ", "base_silent", "hq"),
                      ("MVV", "base_silent", "hq"), ("GOM", "base_back", "hq")]


def test_the_bases_view_gives_health_and_liveness(conn):
    message = Stream()
    status = {"base": "KWJ", "state": "online", "name": "Kiwanja", "version": "0.1.0",
              "links": {"gsm": {"state": "up"}, "mqtt": {"state": "up"}},
              "queue": {"sms": {"pending": 2}, "sbd": {"pending": 1, "failed": 4}},
              "store": {"low_disk": True}}
    apply(conn, [message("KWJ", "status", status, T0), message("KWJ", "alerts", alert("KWJ-1-1")),
                 message("BNI", "status", {"state": "offline", "reason": "shutdown"}, T0),
                 message("hq-bridge", "status", {"state": "online"}, T0)], T0)
    conn.execute("UPDATE hq_alerts SET received_at = ?", [T0 - 60])
    health = {b.id: b for b in views.bases(conn, ["KWJ", "BNI", "MVV"], T0 + 10, 300, T0)}
    assert sorted(health) == ["BNI", "KWJ", "MVV"]  # the bridge is no base
    kwj = health["KWJ"]
    assert (kwj.liveness, kwj.name, kwj.links, kwj.waiting, kwj.low_disk, kwj.alerts_24h) == (
        "online", "Kiwanja", {"gsm": "up", "mqtt": "up"}, 3, True, 1)
    assert (health["BNI"].liveness, health["BNI"].silent_reason) == (
        "silent", "its status says offline (shutdown)")
    assert (health["MVV"].liveness, health["MVV"].silent_reason) == ("never heard", None)


def test_incidents_across_bases_most_severe_first(conn):
    message = Stream()
    for base, number, severity, state in [("KWJ", 1, "Moderate", "open"), ("BNI", 1, "Extreme", "seen"),
                                          ("GOM", 1, "Severe", "closed"), ("KWJ", 2, "Severe", "responding")]:
        apply(conn, [message(base, "incidents", {"id": f"{base}-1-I{number}", "version": 1,
                                                 "state": state, "severity": severity})], T0)
    assert [(i.uid, i.severity) for i in views.incidents(conn)] == [
        ("BNI-1-I1", "Extreme"), ("KWJ-1-I2", "Severe"), ("KWJ-1-I1", "Moderate")]
    assert [i.uid for i in views.incidents(conn, ["closed"])] == ["GOM-1-I1"]


def test_alerts_from_villages_two_bases_cover_are_seen_together(conn):
    index = PlaceIndex({
        "KWJ": [Village(12, "Kamango", ("Kamangu",), 0.6385, 29.8773), Village(31, "Nobili")],
        "BNI": [Village(7, "Kamangu"), Village(8, "Mbau", (), 0.6390, 29.8780)],  # Mbau: 100 m away
        "GOM": [Village(3, "Nobili")],
    })
    message = Stream()

    def at(base: str, uid: str, number: int, name: str) -> Incoming:
        return message(base, "alerts", alert(uid, base=base, village={"number": number, "name": name}))

    apply(conn, [at("KWJ", "KWJ-1-1", 12, "Kamango"), at("BNI", "BNI-1-1", 8, "Mbau"),
                 at("GOM", "GOM-1-1", 3, "Nobili"), at("MVV", "MVV-1-1", 1, "Nobili"),
                 at("KWJ", "KWJ-1-2", 99, "Elsewhere")], T0)
    shared = {place.name: place for place in shared_village_alerts(conn, index, since=0)}
    assert sorted(shared) == ["Kamangu / Mbau / Kamango", "Nobili"]
    kamango = shared["Kamangu / Mbau / Kamango"]
    assert kamango.bases == ("BNI", "KWJ")
    assert sorted(a.uid for a in kamango.alerts) == ["BNI-1-1", "KWJ-1-1"]
    assert shared["Nobili"].bases == ("GOM", "KWJ", "MVV")  # MVV has no list: its alert's name
    assert sorted(a.uid for a in shared["Nobili"].alerts) == ["GOM-1-1", "MVV-1-1"]
    assert name_key("Kasindi-Port ") == name_key("kasindi  port") == "kasindi port"
