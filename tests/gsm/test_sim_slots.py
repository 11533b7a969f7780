"""The GSM worker deletes from the SIM only what it read and committed, whatever the order of
notices, sweeps and deliveries: bursts that land on a sweep (their notices go stale), and a
full SIM emptied while the network hands over what it held, with no spacing between SMS."""

from __future__ import annotations

from collections import Counter

import pytest

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import gsm_worker, link_state, query, wait_for

FAST = "health_interval = 2\ncommand_timeout = 3\n"


def _up(tmp_path) -> None:
    wait_for(lambda: link_state(tmp_path / "gateway.db", "gsm").get("state") == "up",
             timeout=20, what="gsm up")


def _stored_texts(tmp_path) -> Counter[str]:
    return Counter(text for (text,) in query(tmp_path / "gateway.db", "SELECT unseal(text) FROM messages"))


def _burst(tag: str, size: int) -> list[tuple[str, str]]:
    return [(f"+2439902{n:05d}", f"2 Kamango {tag} {n}") for n in range(size)]


def _drained(tmp_path, modem: SimulatedModem, texts: list[str]) -> None:
    """Everything stored or destroyed: the SIM and the network's queue are empty."""
    def settled():
        done = not modem.stored and not modem.state.waiting_at_network
        seen = sum(_stored_texts(tmp_path).values()) + len(modem.deleted_unread)
        return done and seen >= len(texts)
    wait_for(settled, timeout=60, interval=0.1, what="the burst read and the SIM emptied")


def _check(tmp_path, modem: SimulatedModem, texts: list[str]) -> None:
    stored = _stored_texts(tmp_path)
    lost = [text for text in texts if stored[text] == 0]
    doubled = [text for text in texts if stored[text] > 1]
    assert modem.deleted_unread == [], f"{len(modem.deleted_unread)} SMS deleted unread"
    assert lost == [] and doubled == []


@pytest.mark.parametrize("notice", [None, "+CMS ERROR: 322"])  # a SIM800 says nothing
def test_a_burst_landing_on_a_sweep_is_read_before_anything_is_deleted(tmp_path, notice):
    """The burst arrives as the sweep's AT+CMGL goes out and overfills the SIM: its notices go
    stale once the sweep has deleted those messages, and the network at once puts new ones in
    the same slots."""
    with SimulatedModem(capacity=10) as modem, gsm_worker(tmp_path, modem.path, FAST):
        modem.full_notice(notice)
        _up(tmp_path)
        burst = _burst("sweep", 40)
        modem.network_burst(burst, on_command="AT+CMGL")
        texts = [text for _, text in burst]
        _drained(tmp_path, modem, texts)
        _check(tmp_path, modem, texts)


def test_a_full_sim_emptied_while_the_network_hands_over_what_it_held(tmp_path):
    """The modem says the SIM is full; the sweep that follows and the notices of what the
    network hands over as slots free up name the same slots."""
    with SimulatedModem(capacity=5) as modem, gsm_worker(tmp_path, modem.path, FAST):
        _up(tmp_path)
        first, second = _burst("full", 30), _burst("then", 30)
        modem.network_burst(first)
        modem.network_burst(second, on_command="AT+CMGD")  # lands as the SIM is being emptied
        texts = [text for _, text in first + second]
        _drained(tmp_path, modem, texts)
        _check(tmp_path, modem, texts)


def test_a_reading_damaged_on_the_line_is_read_again_and_never_deleted_on_its_strength(tmp_path):
    """A PDU cut short still decodes (to a shorter text): the length the modem announced tells."""
    with SimulatedModem() as modem, gsm_worker(tmp_path, modem.path, FAST):
        _up(tmp_path)
        modem.damage_reads(1)  # the second reading is sound
        modem.inject_sms("+243990000101", "2 Kamango 12 hommes armes")
        modem.damage_reads(2)  # both readings damaged, differently: left for the sweep
        modem.inject_sms("+243990000102", "3 Mutwanga 5 hommes")
        garbage = "0011000C914293193254760000AA05E8329BFD06"  # an SMS-SUBMIT
        modem.inject_pdu(garbage)  # undecodable, the same each time it is read: kept as hex
        texts = ["2 Kamango 12 hommes armes", "3 Mutwanga 5 hommes"]
        _drained(tmp_path, modem, [*texts, garbage])
        assert _stored_texts(tmp_path) == Counter([*texts, ""])
        assert query(tmp_path / "gateway.db", "SELECT unseal(raw) FROM messages WHERE unseal(text) = ''") == \
            [(garbage,)]
        assert modem.deleted_unread == []
