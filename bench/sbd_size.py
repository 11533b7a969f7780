"""Bytes per alert over the satellite: the compact batch (version 1 before, version 2 after, in
one run) beside the same alerts as the MQTT JSON and as CAP 1.2 XML.

Builds a realistic mix of the alerts that go by satellite (Extreme, Severe, Moderate and
unparsed; Minor ones stay on the ground by default): most with a code and a village, a quarter
with a count, a few with short free text, a few unparsed reports, some from unregistered
senders or over HF, focal points who report more than once. It packs them as the satellite
worker does (most severe first, then oldest; 340-byte messages) and prints, per alert, the
average bytes and credits in full batches, and the JSON and CAP sizes.

    .venv/bin/python bench/sbd_size.py [--alerts 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from gateway.alerts.codes import load_codebook
from gateway.alerts.payload import alert_payload, encode
from gateway.alerts.pipeline import PRIORITY
from gateway.sbd.batch import encode_batch
from gateway.sbd.incident import SatIncident
from gateway.sbd.packed import encode_message
from gateway.sbd.packing import (
    MO_MAX,
    UNPARSED_TEXT_CAP,
    Encoder,
    Packed,
    credits,
    pack,
    to_sat_alert,
)
from gateway.store.alerts import AlertRow

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
START = 1_790_000_000.0
VILLAGES = {number: name for number, name in [
    (3, "Kamango"), (12, "Nobili"), (17, "Kasindi Port"), (25, "Mutwanga"), (31, "Eringeti"),
    (44, "Oicha"), (58, "Mbau"), (63, "Kainama"), (77, "Mamove"), (90, "Mayimoya"),
    (104, "Ngadi"), (118, "Mavivi"), (131, "Totolito"), (150, "Kokola"), (204, "Kilia"),
    (222, "Halungupa")]}
# code -> weight among the alerts that go by satellite
CODES = {"1": 30, "2": 15, "3": 6, "4": 12, "5": 3, "6": 18, "7": 8}
SHORT_TEXTS = ["hommes armés", "vers Mutwanga", "3 blessés", "watu 20", "route coupée",
               "tirs entendus", "wanakimbia", "maisons brûlées", "pres de l'ecole"]
UNPARSED = ["il y a des gens bizarres qui passent la nuit vers la riviere",
            "tunaomba msaada haraka watu wengi wamekimbia kijiji",
            "bonjour la base, on a entendu des coups de feu ce soir vers 19h"]


def make_alerts(count: int, seed: int, unparsed_share: float) -> list[AlertRow]:
    chooser = random.Random(seed)
    senders = [f"+2439900{n:05d}" for n in range(60)]
    recent: list[str] = []
    alerts, now = [], START
    for seq in range(1, count + 1):
        now += chooser.expovariate(1 / 90)  # an incident: an alert every 90 s on average
        unparsed = chooser.random() < unparsed_share
        code = None if unparsed else chooser.choices(list(CODES), list(CODES.values()))[0]
        # a focal point who reported recently often reports again
        sender = chooser.choice(recent) if recent and chooser.random() < 0.3 \
            else chooser.choice(senders)
        recent = [*recent[-9:], sender]
        text = chooser.choice(UNPARSED) if unparsed else (
            chooser.choice(SHORT_TEXTS) if chooser.random() < 0.10 else "")
        village = None if unparsed or chooser.random() < 0.05 else chooser.choice(list(VILLAGES))
        severity = "Unknown" if unparsed else {"2": "Extreme", "3": "Extreme", "5": "Extreme",
                                               "7": "Moderate"}.get(code, "Severe")
        alerts.append(AlertRow(
            id=seq, uid=f"KWJ-71b6-{seq + 1000}", seq=seq + 1000, ref=f"KWJ-{seq + 1000:04d}",
            message_id=seq, channel="hf" if chooser.random() < 0.1 else "sms", code=code,
            category=None, severity=severity, urgency="Immediate", village_number=village,
            village_name=VILLAGES.get(village) if village else None,
            count=chooser.randint(2, 40) if code and chooser.random() < 0.25 else None,
            text=text, sender=sender, registered=chooser.random() > 0.1,
            language=chooser.choice(["fr", "fr", "sw", "en"]), parts=1, repeats=1,
            partial=False, received_at=now, created_at=now))
    return alerts


def pseudonym(number: str | None) -> str | None:
    return None if number is None else "fp-" + f"{abs(hash(number)) % 16**10:010x}"


def cap_xml(payload: dict) -> bytes:
    """A CAP 1.2 alert for one alert payload, elements in the schema's order."""
    def sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            element.text = str(text)
        return element

    sent = dt.datetime.fromisoformat(payload["received_at"].replace("Z", "+00:00"))
    root = ET.Element(f"{{{CAP_NS}}}alert")
    sub(root, "identifier", payload["id"])
    sub(root, "sender", f"cangw-{payload['base']}@hq.example.org")
    sub(root, "sent", sent.strftime("%Y-%m-%dT%H:%M:%S") + "-00:00")
    for tag, value in (("status", "Actual"), ("msgType", "Alert"), ("scope", "Restricted"),
                       ("restriction", "Mission headquarters only")):
        sub(root, tag, value)
    info = sub(root, "info")
    sub(info, "language", payload["language"])
    sub(info, "category", "Security")
    words = payload["code_words"] or {}
    sub(info, "event", words.get("en") or "Unparsed report")
    sub(info, "urgency", payload["urgency"])
    sub(info, "severity", payload["severity"])
    sub(info, "certainty", "Likely" if payload["sender_registered"] else "Possible")
    if payload["code"] is not None:
        code = sub(info, "eventCode")
        sub(code, "valueName", "cangw-code")
        sub(code, "value", payload["code"])
    sub(info, "senderName", payload["sender"])
    if payload["text"]:
        sub(info, "description", payload["text"])
    if payload["count"] is not None:
        parameter = sub(info, "parameter")
        sub(parameter, "valueName", "count")
        sub(parameter, "value", payload["count"])
    area = sub(info, "area")
    village = payload["village"]
    sub(area, "areaDesc", village["name"] if village else "unknown")
    if village:
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "cangw-village")
        sub(geocode, "value", village["number"])
    ET.register_namespace("", CAP_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def version_1(base: str, instance: str, alerts, incidents=()) -> bytes:
    """The version 1 batch (alerts only): what bases sent before."""
    return encode_batch(base, instance, alerts)


VERSIONS: dict[str, Encoder] = {"version 1 (before)": version_1, "version 2": encode_message}


@dataclass
class Packing:
    """One format's messages for a mix, packed as the satellite worker packs it."""
    messages: list[Packed]

    @property
    def full(self) -> list[Packed]:
        """Over MO_MAX - 30 bytes: the batches the target speaks of."""
        return [m for m in self.messages if len(m.data) > MO_MAX - 30]

    @property
    def per_alert_full(self) -> list[float]:
        return [len(m.data) / len(m.alerts) for m in self.full]

    @property
    def mean_full(self) -> float:
        return sum(len(m.data) for m in self.full) / sum(len(m.alerts) for m in self.full)


@dataclass
class Sizes:
    """Bytes per alert of one mix, in each format."""
    alerts: list[AlertRow]
    packings: dict[str, Packing]
    json_sizes: list[int]
    cap_sizes: list[int]

    @property
    def mean_full(self) -> float:
        """The current format's figure (version 2)."""
        return self.packings["version 2"].mean_full


def packing(alerts: list[AlertRow], encoder: Encoder) -> Packing:
    ordered = sorted(alerts, key=lambda a: (PRIORITY[a.severity], a.id))
    waiting = [to_sat_alert(a, pseudonym, lambda text: text) for a in ordered]
    messages = []
    while waiting:
        packed = pack("KWJ", "71b6", waiting, encode=encoder)
        assert packed is not None
        messages.append(packed)
        waiting = waiting[len(packed.alerts):]
    return Packing(messages)


def measure(alerts: list[AlertRow]) -> Sizes:
    codebook = load_codebook()
    payloads = [alert_payload(a, "KWJ", codebook, pseudonym, lambda text: text) for a in alerts]
    return Sizes(alerts, {name: packing(alerts, encoder) for name, encoder in VERSIONS.items()},
                 [len(encode(p)) for p in payloads], [len(cap_xml(p)) for p in payloads])


def report(title: str, alerts: list[AlertRow]) -> None:
    sizes = measure(alerts)
    current = sizes.packings["version 2"]
    cut = sum(a.text_truncated for m in current.messages for a in m.alerts)
    print(f"== {title}")
    print(f"{len(alerts)} alerts: {sum(bool(a.text) for a in alerts)} with free text "
          f"({sum(a.code is None for a in alerts)} unparsed reports), "
          f"{sum(a.count is not None for a in alerts)} with a count, "
          f"{sum(not a.registered for a in alerts)} unverified, "
          f"{sum(a.channel == 'hf' for a in alerts)} over HF; texts cut to fit (v2): {cut}")
    for name, packed in sizes.packings.items():
        print(f"satellite {name}: {len(packed.messages)} messages ({len(packed.full)} full: over "
              f"{MO_MAX - 30} bytes), {statistics.mean(len(m.alerts) for m in packed.full):.1f}"
              f" alerts per full message, {sum(m.credits for m in packed.messages)} credits")
    print(f"{'per alert':<40}{'mean bytes':>11}{'min':>7}{'max':>7}{'credits':>9}")
    for name, packed in sizes.packings.items():
        full, per_alert = packed.full, packed.per_alert_full
        print(f"{'SBD ' + name + ', full batches':<40}{packed.mean_full:>11.2f}"
              f"{min(per_alert):>7.1f}{max(per_alert):>7.1f}"
              f"{sum(m.credits for m in full) / sum(len(m.alerts) for m in full):>9.3f}")
    for name, packed in sizes.packings.items():
        total = sum(len(m.data) for m in packed.messages)
        print(f"{'SBD ' + name + ', all messages':<40}{total / len(alerts):>11.2f}{'':>14}"
              f"{sum(m.credits for m in packed.messages) / len(alerts):>9.3f}")
    for name, values in (("MQTT JSON (schema 1)", sizes.json_sizes),
                         ("CAP 1.2 XML", sizes.cap_sizes)):
        print(f"{name:<40}{statistics.mean(values):>11.1f}{min(values):>7}{max(values):>7}"
              f"{statistics.mean(credits(v) for v in values):>9.3f}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--unparsed", type=float, default=0.03,
                        help="share of unparsed reports in the second mix [0.03]")
    args = parser.parse_args()
    report("codes and villages, 10% with short text (the target's mix)",
           make_alerts(args.alerts, args.seed, 0.0))
    report(f"the same with {args.unparsed:.0%} unparsed reports (whole messages, cut at "
           f"{UNPARSED_TEXT_CAP} bytes)", make_alerts(args.alerts, args.seed, args.unparsed))
    single = pack("KWJ", "71b6", [to_sat_alert(make_alerts(1, args.seed, 0.0)[0], pseudonym, str)])
    assert single is not None
    print(f"one alert alone in a message: {len(single.data)} bytes, {single.credits} credit")
    change = SatIncident(number=1041, version=4, state="seen", level="corroborated",
                         severity="Extreme", urgency="Immediate", first_at=int(START),
                         last_at=int(START) + 1500, codes=(1, 2), villages=(12,), reports=5,
                         senders=3, registered_senders=2, channels=("sms", "call"),
                         alerts=(1193, 1195, 1198, 1202, 1210))
    alone = pack("KWJ", "71b6", [], incidents=[change])
    assert alone is not None
    print(f"an incident change alone (5 reports listed): {len(alone.data)} bytes, "
          f"{len(alone.data) - 11} after the header")


if __name__ == "__main__":
    main()
