"""The HF link's two dialects, its [hf] configuration, and how HF alerts are acknowledged."""

from __future__ import annotations

import pytest

from gateway.alerts.pipeline import Pipeline
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.hf import kiss
from gateway.hf.ax25 import Address, UiFrame
from gateway.hf.kiss import Garbage
from gateway.hf.link import Heard, HfLink, Ignored, KissDialect, TextDialect
from gateway.model import Village
from gateway.sim.harness import write_config
from gateway.sim.kiss_tnc import KissTcpTnc
from gateway.sim.pty_port import PtyPort
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from tests.acks import expected_ack

HF = '\n[hf]\nport = "socket://127.0.0.1:8001"\ncallsign = "UNBASE"\n'
TEXT_HF = HF + 'mode = "text"\nack_command = \'STATUSCALL={sender},"{text}"\'\n'


def hf_config(tmp_path, extra=HF):
    return load_config(write_config(tmp_path, extra=extra))


def ui(source, text, destination="UNBASE", port=0, digipeaters=()):
    frame = UiFrame(Address.parse(destination, True), Address.parse(source, True),
                    text if isinstance(text, bytes) else text.encode(), digipeaters)
    return kiss.encode(frame.encode(), port)


def test_kiss_dialect_reads_frames_and_writes_acknowledgements(tmp_path):
    dialect = KissDialect(hf_config(tmp_path).hf)
    stream = (ui("9Q2KAM-1", "2 KAMANGO\r\n") + ui("9Q2KAM", b"8 \xe9glise")
              + ui("9Q2KAM", "x", port=1) + b"\xc0\x00" + bytes(20) + b"\xc0")
    items = dialect.decode(stream[:7]) + dialect.decode(stream[7:])
    assert items[:2] == [Heard("9Q2KAM-1", "2 KAMANGO", items[0].raw),
                         Heard("9Q2KAM", "8 église", items[1].raw, latin1=True)]
    assert isinstance(items[2], Ignored) and "port 1" in items[2].reason
    assert isinstance(items[3], Garbage) and "callsign" in items[3].reason
    ack = KissDialect(hf_config(tmp_path).hf).decode(
        dialect.encode_ack("9Q2KAM-1", "KWJ-0001 Alerte recue"))
    assert ack == [Heard("UNBASE", "KWJ-0001 Alerte recue", ack[0].raw)]
    frame = UiFrame.decode(ack[0].raw)
    assert str(frame.destination) == "9Q2KAM-1" and frame.destination.flag  # command frame
    assert not frame.source.flag and frame.digipeaters == ()


def test_text_dialect_extracts_sender_and_text_and_keeps_other_lines(tmp_path):
    config = hf_config(tmp_path, TEXT_HF + 'ignore_pattern = "^(OK|>)$"\n').hf
    dialect = TextDialect(config)
    command = dialect.encode_ack("9Q2KAM", 'KWJ-0001 "recue"')
    assert command == b'STATUSCALL=9Q2KAM,"KWJ-0001 \'recue\'"\r'
    lines = (b"9q2kam-1>UNBASE,WIDE1-1:2 KAMANGO\r\n1234: hatari 3\rCHANNEL 2 SELECTED\n"
             b"OK\r\n\r\n" + command + b"\r\n" + b"x" * 2000 + b"\n55: 9 \xe9\n")
    items = [item for cut in range(0, len(lines), 7) for item in dialect.decode(lines[cut:cut + 7])]
    heard = [i for i in items if isinstance(i, Heard)]
    assert [(h.sender, h.text, h.unmatched, h.latin1) for h in heard] == [
        ("9Q2KAM-1", "2 KAMANGO", False, False), ("1234", "hatari 3", False, False),
        (None, "CHANNEL 2 SELECTED", True, False), ("55", "9 é", False, True)]
    assert [i.reason for i in items if isinstance(i, Ignored)] == [
        "matches ignore_pattern", "echo of our command"]
    assert [i.reason for i in items if isinstance(i, Garbage)] == ["line longer than 1024 bytes"]



def _heard_on_open(link: HfLink) -> list[str]:
    link.open()
    try:
        return [item.text for item in link.receive(5.0) if isinstance(item, Heard)]
    finally:
        link.close()


def test_bytes_waiting_when_the_port_opens_are_kept(tmp_path):
    # a radio that printed a message while the gateway was (re)opening its serial port
    radio = PtyPort(0)
    try:
        radio.write(b"9Q2KAM: 2 KAMANGO\r\n")
        config = hf_config(tmp_path, TEXT_HF.replace("socket://127.0.0.1:8001", radio.path)).hf
        assert _heard_on_open(HfLink(config)) == ["2 KAMANGO"]
    finally:
        radio.close()


def test_a_frame_sent_as_the_tnc_accepts_the_connection_is_kept(tmp_path):
    # the race is narrow: repeat it so that a link that drops early bytes cannot pass
    with KissTcpTnc() as tnc:
        config = hf_config(tmp_path, HF.replace("127.0.0.1:8001", f"127.0.0.1:{tnc.port}")).hf
        tnc.on_connect = ui("9Q2KAM", "2 KAMANGO")
        heard = [_heard_on_open(HfLink(config)) for _ in range(20)]
    assert heard == [["2 KAMANGO"]] * 20

@pytest.mark.parametrize(("extra", "message"), [
    ('callsign = "unbase"\n', "[hf] callsign: expected a callsign in capitals"),
    ('callsign = "UNBASE-16"\n', "[hf] callsign: expected a callsign in capitals"),
    ('mode = "ax25"\n', "[hf] mode: expected one of 'kiss', 'text'"),
    ("kiss_port = 16\n", "[hf] kiss_port: expected a TNC port number"),
    ('line_pattern = "(?P<who>.*)"\n', "[hf] line_pattern: expected a regular expression with"),
    ('line_pattern = "(unclosed"\n', "[hf] line_pattern: expected a regular expression with"),
    ('ack_command = "CALL {to}"\n', "[hf] ack_command: expected with mode = 'text'"),
    ("frames_per_minute = -1\n", "[hf] frames_per_minute: expected 0 (never transmit)"),
])
def test_hf_config_errors(tmp_path, extra, message):
    text = HF.replace('callsign = "UNBASE"\n', "") if extra.startswith("callsign") else HF
    with pytest.raises(ConfigError) as caught:
        hf_config(tmp_path, text + extra)
    assert message in str(caught.value)


def test_hf_defaults(tmp_path):
    hf = hf_config(tmp_path).hf
    assert (hf.mode, hf.kiss_port, hf.frames_per_minute, hf.acknowledges) == ("kiss", 0, 4, True)
    assert not hf_config(tmp_path, HF + 'mode = "text"\n').hf.acknowledges  # no command: no acks
    assert not hf_config(tmp_path, HF + "frames_per_minute = 0\n").hf.acknowledges


def _record(pipeline, channel, sender, text):
    with pipeline.store.transaction():
        return pipeline.record_message(NewMessage(channel, sender, text, 1_795_000_000.0))


def _acks(store):
    return store.db.execute("SELECT destination, unseal(recipient), unseal(body) FROM outbox"
                            " WHERE destination != 'mqtt' ORDER BY id").fetchall()


def test_hf_alerts_are_acknowledged_by_radio_in_ascii_to_the_callsign(tmp_path, registered,
                                                                     codebook):
    reg.save_focal_point(registered, reg.make_focal_point(
        registered, "-", "Mbusa Kakule", "204", "fr", "+243", "9Q2KAM"))
    reg.save_village(registered, Village(88, "Bénédiction"))
    pipeline = Pipeline(registered, hf_config(tmp_path), codebook)
    alert = _record(pipeline, "hf", "9Q2KAM-1", "2 benediction")
    assert alert.registered and alert.language == "fr" and alert.village_name == "Bénédiction"
    _record(pipeline, "hf", None, "CHANNEL 2 SELECTED")  # no sender: nobody to answer
    _record(pipeline, "hf", "Radio room", "9")  # not a station: cannot be addressed
    ((destination, recipient, body),) = _acks(registered)
    assert (destination, recipient) == ("hf", "9Q2KAM-1")
    assert expected_ack("KWJ-0001", "fr", "2", "Bénédiction", radio=True).fullmatch(body)
    assert body.isascii() and len(body) <= 256
    # without [hf] (or with acknowledgements off) an HF alert is stored but not answered
    for extra in ("", TEXT_HF.replace("ack_command", "# ack_command")):
        quiet = Pipeline(registered, hf_config(tmp_path, extra), codebook)
        _record(quiet, "hf", "9Q2KAM-1", "2")
        assert len(_acks(registered)) == 1


def test_registered_callsigns_are_removed_from_free_text_under_any_ssid(registered, codebook):
    reg.save_focal_point(registered, reg.make_focal_point(
        registered, "-", "Mbusa Kakule", None, None, "+243", "9Q2KAM-1"))
    cache = RegistryCache(registered, codebook)
    assert cache.redact("de 9q2kam-3 et 9Q2KAM: 15 armes, 9Q2KAMX ok") == \
        "de [callsign] et [callsign]: 15 armes, 9Q2KAMX ok"
