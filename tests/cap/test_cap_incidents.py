"""CAP 1.2 for incidents: one message per version (Alert, then Updates naming the earlier ones,
a Cancel for a false alarm), valid against OASIS's schema, with certainty from corroboration,
`expires` from the [triage] windows and nothing that identifies a focal point."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from lxml import etree

from gateway.alerts.codes import load_codebook
from gateway.cap.incidents import (
    MAX_REFERENCES,
    identifier,
    incident_context,
    incident_history,
    incident_message,
)
from gateway.cap.message import Message, cap_time, to_bytes
from gateway.cli import cli
from gateway.store import incidents as incident_store
from gateway.timeutil import local_zone
from gateway.triage.incidents import Incidents, change_state
from tests.cap.schema import NS, SCHEMA
from tests.triage.conftest import FOCAL, HOUR, MINUTE, T0, Base

A, B, STRANGER = "+243990000101", "+243990000102", "+243990000999"
WINDOWS = "\n[triage]\nwindow_hours = { attack = 2.0, armed_presence = 5.0 }\n"


@pytest.fixture
def base(tmp_path):
    made = Base(tmp_path, extra=WINDOWS)
    yield made
    made.close()


def message_of(base: Base, number: int) -> Message:
    incident = incident_store.get(base.store.db, number)
    assert incident is not None
    return incident_message(incident, incident_history(base.store.db, incident),
                            incident_context(base.store, base.config, load_codebook()))


def document(base: Base, message: Message) -> etree._Element:
    parsed = etree.fromstring(to_bytes(message, local_zone(base.config.base.timezone)))
    SCHEMA.assertValid(parsed)
    return parsed


def text(node: etree._Element, path: str) -> str | None:
    return node.findtext(path, namespaces=NS)


def test_each_version_is_a_valid_message_that_references_the_earlier_ones(base):
    zone = local_zone(base.config.base.timezone)
    number = base.incident_of(base.report("2 kamango", T0, A).id)
    messages = [message_of(base, number)]
    base.report("2 kamango", T0 + 5 * MINUTE, STRANGER)
    messages.append(message_of(base, number))
    change_state(base.store, base.config, number, "respond", "Lt Mbala", "patrol", T0 + 600)
    messages.append(message_of(base, number))
    change_state(base.store, base.config, number, "false-alarm", "Lt Mbala", "", T0 + 900)
    messages.append(message_of(base, number))

    documents = [document(base, m) for m in messages]
    assert [text(d, "cap:msgType") for d in documents] == ["Alert", "Update", "Update", "Cancel"]
    uid = incident_store.get(base.store.db, number).uid
    assert [m.identifier for m in messages] == [f"{uid}-v{v}" for v in (1, 2, 3, 4)]
    assert [m.sent for m in messages] == [T0, T0 + 5 * MINUTE, T0 + 600, T0 + 900]
    assert text(documents[0], "cap:references") is None
    for index, later in enumerate(documents[1:], start=1):
        # each names every earlier message exactly as that message gave its sender, id and sent
        assert text(later, "cap:references").split() == [
            f"{m.sender},{m.identifier},{cap_time(m.sent, zone)}" for m in messages[:index]]
        assert text(later, "cap:incidents") == uid
    certainties = [text(d, "cap:info/cap:certainty") for d in documents]
    assert certainties == ["Likely", "Likely", "Likely", "Unlikely"]  # one registered, then two senders
    assert text(documents[1], "cap:info/cap:parameter[cap:valueName='level']/cap:value") == \
        "corroborated"


def test_certainty_follows_corroboration(base):
    stranger = base.incident_of(base.report("1 nobili", T0, STRANGER).id)
    assert message_of(base, stranger).infos[0].certainty == "Possible"  # unknown sender, alone
    known = base.incident_of(base.report("2 mutwanga", T0, A).id)
    assert message_of(base, known).infos[0].certainty == "Likely"
    change_state(base.store, base.config, known, "confirm", "duty", "patrol saw it", T0 + 60)
    assert message_of(base, known).infos[0].certainty == "Observed"
    unparsed = base.incident_of(base.report("des gens partout", T0, A).id)
    assert message_of(base, unparsed).infos[0].certainty == "Unknown"


def test_expires_follows_the_triage_window_after_the_last_report(base):
    zone = local_zone(base.config.base.timezone)
    number = base.incident_of(base.report("2 kamango", T0, A).id)
    base.report("2 kamango", T0 + 30 * MINUTE, B)
    parsed = document(base, message_of(base, number))
    assert text(parsed, "cap:info/cap:expires") == cap_time(T0 + 30 * MINUTE + 2 * HOUR, zone)
    armed = base.incident_of(base.report("1 mutwanga", T0, A).id)
    assert text(document(base, message_of(base, armed)), "cap:info/cap:expires") == \
        cap_time(T0 + 5 * HOUR, zone)
    # closed: the all-clear stays current one window after it was said
    change_state(base.store, base.config, number, "close", "duty", "", T0 + 3 * HOUR)
    closed = document(base, message_of(base, number))
    assert text(closed, "cap:msgType") == "Update"
    assert text(closed, "cap:info/cap:responseType") == "AllClear"
    assert text(closed, "cap:info/cap:expires") == cap_time(T0 + 5 * HOUR, zone)


def test_a_merged_incident_is_cancelled_and_the_one_it_joined_references_it(base):
    zone = local_zone(base.config.base.timezone)
    into = base.incident_of(base.report("2 kamango", T0, A).id)
    other = base.incident_of(base.report("2 mutwanga", T0 + MINUTE, B).id)
    before = message_of(base, other)
    Incidents(base.store, base.config).merge(into, [other], "duty", "same attack", T0 + 120)
    cancelled = document(base, message_of(base, other))
    assert text(cancelled, "cap:msgType") == "Cancel"
    target = incident_store.get(base.store.db, into)
    assert text(cancelled, "cap:note").endswith(f"merged into {target.ref}")
    assert f"{before.identifier}," in text(cancelled, "cap:references")
    joined = message_of(base, into)
    merged_last = message_of(base, other)
    assert f"{merged_last.sender},{merged_last.identifier},{cap_time(merged_last.sent, zone)}" \
        in text(document(base, joined), "cap:references").split()
    assert joined.incidents.split() == [target.uid, merged_last.identifier.rsplit("-v", 1)[0]]
    areas = [a.description for a in joined.infos[0].areas]
    assert areas == ["Kamango", "Mutwanga"]


def test_a_flood_references_the_first_message_and_the_newest(base):
    number = base.incident_of(base.report("2 kamango", T0, A).id)
    for index in range(1, 25):
        base.report("2 kamango", T0 + index * MINUTE, (A, B)[index % 2])
    message = message_of(base, number)
    incident = incident_store.get(base.store.db, number)
    assert incident.version == 25
    named = [ref.identifier for ref in message.references]
    assert len(named) == MAX_REFERENCES
    assert named == [identifier(incident, 1), *(identifier(incident, v) for v in range(16, 25))]
    document(base, message)


def test_no_field_identifies_a_focal_point(base):
    number = base.incident_of(base.report("2 kamango appelez Kahindo au 0990000101", T0, A).id)
    base.report("2 kamango Baraka a vu", T0 + MINUTE, B)
    base.report("2 kamango", T0 + 2 * MINUTE, STRANGER, "call")
    change_state(base.store, base.config, number, "respond", "duty",
                 "Kahindo Masika says they moved", T0 + 600)
    written = to_bytes(message_of(base, number), local_zone(base.config.base.timezone)).decode()
    pseudonym = base.store.pseudonymiser()
    for phone in (A, B, STRANGER):
        assert phone not in written and phone[4:] not in written
        assert pseudonym(phone) not in written
    for name, _ in FOCAL.values():
        for part in name.split():
            assert part not in written
    assert "moved" not in written  # the officer's notes stay at the base


def test_cangw_export_cap_incidents_validates_in_full(base, tmp_path):
    first = base.incident_of(base.report("2 kamango", T0, A).id)
    base.report("2 kamango", T0 + MINUTE, B)
    base.report("9 mutwanga", T0 + 2 * MINUTE, A)  # routine: opened closed
    base.report("0", T0 + 3 * MINUTE, B)
    base.report("rien compris", T0 + 4 * MINUTE, STRANGER)
    change_state(base.store, base.config, first, "false-alarm", "duty", "", T0 + 600)
    incidents = incident_store.changed_since(base.store.db)
    assert len(incidents) == 4
    runner = CliRunner()
    folder = tmp_path / "cap"
    source = str(base.config.source)
    result = runner.invoke(cli, ["-c", source, "export", "cap", "--incidents", "--to",
                                 str(folder)])
    assert result.exit_code == 0, result.output
    files = sorted(folder.glob("*.xml"))
    assert sorted(p.stem for p in files) == sorted(f"{i.uid}-v{i.version}" for i in incidents)
    kinds = {}
    for path in files:
        parsed = etree.parse(str(path))
        SCHEMA.assertValid(parsed)
        kinds[path.stem] = (parsed.findtext("cap:msgType", namespaces=NS),
                            parsed.findtext("cap:status", namespaces=NS))
    assert sorted(kinds.values()) == [("Alert", "Actual"), ("Alert", "Actual"),
                                      ("Alert", "Test"), ("Cancel", "Actual")]
    streamed = runner.invoke(cli, ["-c", source, "export", "cap", "--incidents"])
    assert streamed.exit_code == 0
    documents = [d for d in streamed.stdout_bytes.split(b"<?xml") if d.strip()]
    assert len(documents) == len(incidents)
    for part in documents:
        SCHEMA.assertValid(etree.fromstring(b"<?xml" + part))
    later = runner.invoke(cli, ["-c", source, "export", "cap", "--incidents", "--since",
                                "2027-01-01"])
    assert later.exit_code == 0 and "<?xml" not in later.output  # T0 is in 2026-11: nothing changed since
