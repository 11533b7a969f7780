"""Headquarters' store as the collector fills it (gateway/hq/records.py and liveness.py): three
bases, one online with its links, one whose last will says it is gone, one never heard; alerts
from a village two bases cover under different names; incidents in several states; and one
console user per role, added with `cangw user --hq`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import cli
from gateway.hq import liveness
from gateway.hq.records import Incoming, apply, open_records
from gateway.sim.broker import free_port
from gateway.timeutil import iso_utc
from tests.console.conftest import PASSWORD

HQ_ROLES = ("officer", "technician", "admin", "partner")
PSEUDONYM = "P-7Q2K"
KWJ_VILLAGES = "number,name,alt_names,lat,lon\n12,Kamango,,0.6385,29.8773\n204,Mutwanga,,0.3241,29.7458\n"
BNI_VILLAGES = "number,name,alt_names,lat,lon\n3,Kamangu,,0.6390,29.8780\n7,Oicha,,0.8,29.52\n"


@dataclass
class Hq:
    config: Path
    db: Path
    url: str
    seq: int = 100

    def publish(self, base: str, kind: str, payload: dict) -> None:
        """One message stored as the collector stores what the cluster hands it."""
        self.seq += 1
        conn = open_records(self.db)
        try:
            now = time.time()
            apply(conn, [Incoming(self.seq, base, kind, json.dumps(payload).encode(), now)], now)
        finally:
            conn.close()


def alert(uid: str, base: str, village: tuple[int, str], severity: str, code: str, text: str,
          ago: float = 600) -> dict:
    number, name = village
    return {"schema": 1, "id": uid, "ref": f"{base}-{uid.rsplit('-', 1)[1].zfill(4)}",
            "base": base, "channel": "sms", "received_at": iso_utc(time.time() - ago),
            "code": code, "category": "attack" if code == "2" else "dispute", "severity": severity,
            "urgency": "Immediate", "village": {"number": number, "name": name}, "count": 15,
            "text": text, "sender": PSEUDONYM, "sender_registered": True, "language": "fr",
            "parts": 1, "repeats": 1, "partial": False}


def make_hq(folder: Path) -> Hq:
    (folder / "kwj.csv").write_text(KWJ_VILLAGES)
    (folder / "bni.csv").write_text(BNI_VILLAGES)
    port = free_port()
    config = folder / "hq.toml"
    config.write_text(
        f'[mqtt]\nhost = "127.0.0.1"\n[store]\npath = "hq.db"\n[console]\nport = {port}\n'
        '[[base]]\nid = "KWJ"\nimeis = ["300234010753370"]\nvillages = "kwj.csv"\n'
        '[[base]]\nid = "BNI"\nimeis = ["300234010753371"]\nvillages = "bni.csv"\nlanguage = "en"\n'
        '[[base]]\nid = "GOM"\nimeis = ["300234010753372"]\n')
    hq = Hq(config, folder / "hq.db", f"http://127.0.0.1:{port}")
    hq.publish("KWJ", "status", {"base": "KWJ", "state": "online", "name": "Kiwanja",
                                 "links": {"gsm": {"state": "up"}, "mqtt": {"state": "up"}},
                                 "queue": {"sms": {"pending": 2}}})
    hq.publish("BNI", "status", {"state": "offline", "reason": "lost"})
    for uid, base, village, severity, code, text in [
            ("KWJ-a1-1", "KWJ", (12, "Kamango"), "Extreme", "2", "alerte 2 kamango 15 hommes armés"),
            ("KWJ-a1-2", "KWJ", (204, "Mutwanga"), "Minor", "8", "dispute foncière à mutwanga"),
            ("BNI-b2-1", "BNI", (3, "Kamangu"), "Severe", "2", "attack near kamangu market")]:
        hq.publish(base, "alerts", alert(uid, base, village, severity, code, text))
    for uid, base, severity, state in [("KWJ-a1-I1", "KWJ", "Extreme", "open"),
                                       ("BNI-b2-I1", "BNI", "Severe", "responding"),
                                       ("KWJ-a1-I0", "KWJ", "Minor", "closed")]:
        hq.publish(base, "incidents", {"id": uid, "base": base, "version": 2, "state": state,
                                       "severity": severity, "level": "corroborated",
                                       "category": "attack", "reports": 3,
                                       "villages": [{"number": 12, "name": "Kamango"}]})
    conn = open_records(hq.db)
    liveness.watch(conn, ["KWJ", "BNI", "GOM"], time.time(), 300, watching_since=0)
    conn.close()
    for role in HQ_ROLES:
        done = CliRunner().invoke(cli, ["-c", str(config), "user", "--hq", "add", role, "--role",
                                        role, "--password", PASSWORD, "--language", "en"])
        assert done.exit_code == 0, done.output
    return hq
