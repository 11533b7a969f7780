"""Crash safety, proven: the real daemon is SIGKILLed at random moments while SMS pour in.

Each round hands a burst of SMS to the simulated modem's network, starts `cangw run`, kills it
with SIGKILL after a random delay (while it starts, reads the modem, commits, deletes,
acknowledges or publishes), and goes on to the next round. The network delivers with no
spacing, each SMS into the lowest free slot the moment there is one, and the bursts land where
slots are most easily confused: on a sweep (the notices go stale once the sweep has deleted
those messages) and on a full SIM being emptied. At the end the daemon runs until everything
is drained and stops cleanly, and `verify` checks what a focal point and headquarters would
see:

- every injected SMS is stored exactly once as a message, and has exactly one alert;
- no SMS was deleted from the SIM without having been read (the simulator counts them);
- every alert reached MQTT (at least once, by its stable id);
- every acknowledgement the modem sent belongs to a committed alert (same reference, same
  words, same phone), and every alert's acknowledgement was sent;
- no message was acknowledged twice, except when the daemon was killed after it handed the
  first send to the modem (or wrote it to the line) and before the store recorded it (the
  outcome of that send was unknown);
- with a broadcast queued before the first round (`broadcast` recipients), every recipient got
  it, nobody else did, and nobody twice but for the same unknown outcome; each recipient ends
  `sent` or `delivered`.

Used by tests/sim/test_kill_rounds.py (a few rounds) and bench/kill_soak.py (hundreds of kills).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, write_config

# A send the killed process had already written to the serial line is completed by the modem
# just after the kill: its outcome was unknown to the store all the same.
IN_FLIGHT = 0.5
PHASES = {"cmgr": "reading the modem", "cmgl": "reading the modem",
          "cmgd": "deleting after a commit", "cmgs": "sending an acknowledgement",
          "cmti": "a message arriving", "mqtt": "publishing to MQTT",
          "broadcast": "sending a broadcast message"}
FAST_BROADCASTS = "\n[outreach]\nsms_per_minute = 6000\n"


@dataclass
class KillReport:
    rounds: int = 0
    kills: int = 0
    injected: list[tuple[str, str]] = field(default_factory=list)  # (phone, text)
    kill_times: list[float] = field(default_factory=list)
    phases: Counter[str] = field(default_factory=Counter)
    unknown_outcome_resends: int = 0
    lost: int = 0
    duplicated: int = 0
    deleted_unread: int = 0
    broadcast_to: dict[str, str] = field(default_factory=dict)  # number -> text expected
    problems: list[str] = field(default_factory=list)


def run_rounds(folder: Path, modem: SimulatedModem, broker_port: int, hq: MqttListener,
               rounds: int, burst: int = 8, seed: int = 1, broadcast: int = 0) -> KillReport:
    """Inject, start, inject more, SIGKILL; `rounds` times. Then drain with a clean run and
    verify. An eighth of each burst reaches the network before the start (read by the
    start-up sweep, or announced to a daemon not yet listening), half as the daemon sends its
    next AT+CMGL (a sweep: stale notices for every slot it fills), a quarter as it sends its
    next AT+CMGD (the network refills each slot as it is freed), and the rest at a random
    moment while it runs. A burst a few times larger than the SIM keeps it full. With
    `broadcast`, a broadcast to that many focal points is queued first: its messages leave
    between the acknowledgements, killed too."""
    rng = random.Random(seed)
    config = write_config(folder, modem.path, broker_port, gsm="health_interval = 2\n",
                          extra=FAST_BROADCASTS)
    report = KillReport()
    if broadcast:
        report.broadcast_to = queue_broadcast(config, broadcast)
    for number in range(rounds):
        messages = [(f"+2439910{number % 100:02d}{index:03d}",
                     f"hello there round {number} message {index}" if index % 5 == 4
                     else f"2 Kamango {number}-{index} hommes") for index in range(burst)]
        report.injected += messages
        cuts = [burst // 8, burst * 5 // 8, burst * 7 // 8]
        modem.network_burst(messages[:cuts[0]])
        modem.network_burst(messages[cuts[0]:cuts[1]], on_command="AT+CMGL")
        modem.network_burst(messages[cuts[1]:cuts[2]], on_command="AT+CMGD")
        daemon = DaemonProcess(config).start()
        time.sleep(rng.uniform(0.4, 1.6))  # the daemon starts in about a second
        modem.network_burst(messages[cuts[2]:])
        # longer bursts: more work to cut; broadcasts leave after the acknowledgements
        time.sleep(rng.uniform(0.0, (2.0 if broadcast else 1.0) + burst * 0.02))
        killed_at = time.time()
        daemon.kill()
        report.kills += 1
        report.rounds += 1
        report.kill_times.append(killed_at)
        report.phases[_phase(modem, hq, killed_at, set(report.broadcast_to))] += 1
    modem.release_bursts()  # a burst waiting for an AT+CMGD that nothing is left to cause
    _drain(DaemonProcess(config), folder / "gateway.db", modem, hq, len(report.injected))
    verify(report, folder / "gateway.db", modem, hq)
    return report


def queue_broadcast(config_path: Path, count: int) -> dict[str, str]:
    """Register `count` focal points in a zone and queue a broadcast to it, as `cangw broadcast
    send` does; number -> the text each must receive."""
    from gateway.config import load_config
    from gateway.model import Village
    from gateway.outreach import compose
    from gateway.outreach.templates import load_book
    from gateway.store import Store
    from gateway.store import registry as reg

    config = load_config(config_path)
    with Store.open(config.store.path) as store:
        reg.save_village(store, Village(12, "Kamango", zone="north"))
        numbers = [f"+24399300{n:04d}" for n in range(count)]
        for number in numbers:
            reg.save_focal_point(store, reg.make_focal_point(store, number, f"Member {number[-4:]}",
                                                             "12", "sw", "+243"))
        _, seen = compose.send(store, config, compose.draft(load_book(), "zone:north",
                                                            template=6), "kill rounds", "cli")
    return dict.fromkeys(numbers, seen.messages["sw"].text)


def _phase(modem: SimulatedModem, hq: MqttListener, killed_at: float,
           broadcast: set[str]) -> str:
    """What the daemon was last seen doing in the 0.2 s before the kill."""
    recent = [(at, "broadcast" if kind == "cmgs" and detail in broadcast else kind)
              for at, kind, detail in modem.events if killed_at - 0.2 <= at <= killed_at]
    recent += [(at, "mqtt") for at in hq.arrivals("/alerts") if killed_at - 0.2 <= at <= killed_at]
    return PHASES.get(max(recent)[1], "other") if recent else "starting or idle"


def _drain(daemon: DaemonProcess, db: Path, modem: SimulatedModem, hq: MqttListener,
           injected: int) -> None:
    with daemon:
        def drained() -> bool:
            open_rows = query(db, "SELECT COUNT(*) FROM outbox WHERE state != 'done'")
            messages = query(db, "SELECT COUNT(*) FROM messages")
            on_sim = modem.stored or modem.state.waiting_at_network
            return bool(not on_sim and open_rows == [(0,)] and messages
                        and messages[0][0] + len(modem.deleted_unread) >= injected)
        wait_for(drained, timeout=120 + injected * 0.1, interval=0.2,
                 what="the daemon to drain everything")
        daemon.stop()


def verify(report: KillReport, db: Path, modem: SimulatedModem, hq: MqttListener) -> None:
    problems = report.problems
    stored = Counter(text for (text,) in query(db, "SELECT unseal(text) FROM messages"))
    for _, text in report.injected:
        if stored[text] != 1:
            problems.append(f"message {text!r} stored {stored[text]} times")
    report.lost = sum(1 for _, text in report.injected if stored[text] == 0)
    report.duplicated = sum(1 for _, text in report.injected if stored[text] > 1)
    unread = [decode_deliver(pdu).text for pdu in modem.deleted_unread]
    report.deleted_unread = len(unread)
    problems += [f"message {text!r} deleted from the SIM unread" for text in unread]
    extra = set(stored) - {text for _, text in report.injected}
    problems += [f"unexpected message {text!r}" for text in sorted(extra)]
    per_message = query(db, "SELECT unseal(m.text), COUNT(a.id) FROM messages m LEFT JOIN alerts a"
                            " ON a.message_id = m.id GROUP BY m.id")
    problems += [f"message {text!r} has {n} alerts" for text, n in per_message if n != 1]

    alerts = {ref: (uid, sender, body) for ref, uid, sender, body in query(
        db, "SELECT a.ref, a.uid, unseal(m.sender), unseal(o.body) FROM alerts a JOIN messages m"
            " ON m.id = a.message_id LEFT JOIN outbox o ON o.alert_id = a.id"
            " AND o.destination = 'sms'")}
    published = {payload["id"] for payload in hq.json_on("/alerts")}
    problems += [f"alert {ref} ({uid}) never reached MQTT"
                 for ref, (uid, _, _) in alerts.items() if uid not in published]
    _check_acks(report, alerts, modem)
    if report.broadcast_to:
        _check_broadcast(report, db, modem)


def _check_broadcast(report: KillReport, db: Path, modem: SimulatedModem) -> None:
    sends: dict[str, list[float]] = {}
    for sent in modem.sent:
        if not sent.report:
            continue  # an acknowledgement
        if sent.number not in report.broadcast_to or sent.text != report.broadcast_to[sent.number]:
            report.problems.append("a broadcast message that was not queued")
            continue
        sends.setdefault(sent.number, []).append(sent.at)
    missing = set(report.broadcast_to) - set(sends)
    report.problems += ["a broadcast recipient never got it"] * len(missing)
    for times in sends.values():
        _count_resends(report, times, "a broadcast recipient")
    states = query(db, "SELECT state, COUNT(*) FROM broadcast_recipients GROUP BY state")
    report.problems += [f"{n} broadcast recipient(s) {state} at the end" for state, n in states
                        if state not in ("sent", "delivered")]


def _count_resends(report: KillReport, times: list[float], what: str) -> None:
    for first, second in itertools.pairwise(times):
        if any(first - IN_FLIGHT <= killed <= second for killed in report.kill_times):
            report.unknown_outcome_resends += 1
        else:
            before = max((k for k in report.kill_times if k <= first), default=None)
            after = f"{first - before:.2f} s and {second - before:.2f} s after a kill" \
                if before is not None else "before any kill"
            report.problems.append(f"{what} sent twice without a kill in between (sent {after})")


def _check_acks(report: KillReport, alerts: dict, modem: SimulatedModem) -> None:
    sends: dict[str, list[float]] = {}
    for sent in modem.sent:
        if sent.report:
            continue  # a broadcast message
        ref = sent.text.split(" ", 1)[0]
        expected = alerts.get(ref)
        if expected is None:
            report.problems.append(f"acknowledgement for {ref}, which is not a committed alert")
            continue
        _, sender, body = expected
        if sent.number != sender or sent.text != body:
            report.problems.append(f"acknowledgement for {ref} does not match its alert")
        sends.setdefault(ref, []).append(sent.at)
    for ref in alerts:
        if ref not in sends:
            report.problems.append(f"alert {ref} was never acknowledged")
    for ref, times in sends.items():
        _count_resends(report, times, f"{ref}'s acknowledgement")


def summary(report: KillReport) -> dict:
    return {"rounds": report.rounds, "kills": report.kills, "sms": len(report.injected),
            "lost": report.lost, "duplicated": report.duplicated,
            "deleted_unread": report.deleted_unread, "problems": len(report.problems),
            "broadcast_recipients": len(report.broadcast_to),
            "resent_after_unknown_outcome": report.unknown_outcome_resends,
            "kills_by_phase": dict(report.phases)}


def report_json(report: KillReport) -> str:
    return json.dumps(summary(report) | {"first_problems": report.problems[:20]}, indent=2)
