"""The network as the base sees it: who is expected to check in, and the figures of the network
report (per village, per zone, per focal point). Queries only; the registry owns the rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

DAY = 86400.0


@dataclass(frozen=True)
class FocalSchedule:
    id: int
    callsign: str | None
    village: int | None
    zone: str | None
    checkin: str | None
    added_at: float


@dataclass(frozen=True)
class VillageSchedule:
    number: int
    zone: str | None
    checkin: str | None


def focal_schedules(db: Database) -> list[FocalSchedule]:
    rows = db.execute("SELECT f.id, f.callsign, f.village, v.zone, f.checkin, f.added_at FROM"
                      " focal_points f LEFT JOIN villages v ON v.number = f.village ORDER BY f.id")
    return [FocalSchedule(*row) for row in rows]


def village_schedules(db: Database) -> list[VillageSchedule]:
    return [VillageSchedule(*row) for row in
            db.execute("SELECT number, zone, checkin FROM villages ORDER BY number")]


def focal_identity_of(db: Database, focal_id: int) -> str | None:
    """The phone number (else the callsign) a focal point's pseudonym is made from."""
    row = db.execute("SELECT COALESCE(phone, callsign) FROM focal_points WHERE id = ?",
                     [focal_id]).fetchone()
    return row[0] if row else None


def village_figures(db: Database, now: float, active_days: int,
                    routine: list[str]) -> list[dict]:
    """Per village: focal points (women, youth, active), when last heard, reports in the last 30
    and 90 days, and how its incidents ended (closed after a response, false alarm)."""
    active_since = now - active_days * DAY
    people = {row[0]: row[1:] for row in db.execute(
        "SELECT f.village, COUNT(*), SUM(f.gender = 'f'), SUM(f.age_group = 'youth'),"
        " SUM(h.at >= ?) FROM focal_points f LEFT JOIN last_heard h ON h.kind = 'focal'"
        " AND h.subject = f.id WHERE f.village IS NOT NULL GROUP BY f.village", [active_since])}
    reports = {row[0]: row[1:] for row in db.execute(
        "SELECT village_number, SUM(received_at >= ?), COUNT(*) FROM alerts"
        " WHERE received_at >= ? AND village_number IS NOT NULL GROUP BY village_number",
        [now - 30 * DAY, now - 90 * DAY])}
    marks = ", ".join("?" * len(routine)) or "NULL"
    outcomes = {row[0]: row[1:] for row in db.execute(
        "SELECT iv.village, SUM(i.state = 'closed' AND EXISTS (SELECT 1 FROM incident_changes c"
        " WHERE c.incident_id = i.id AND c.to_state = 'responding')), SUM(i.state ="
        " 'false_alarm'), SUM(i.state = 'closed') FROM incident_villages iv JOIN incidents i"
        f" ON i.id = iv.incident_id WHERE COALESCE(i.category, '') NOT IN ({marks})"
        " GROUP BY iv.village", routine)}
    heard = dict(db.execute("SELECT subject, at FROM last_heard WHERE kind = 'village'"))
    figures = []
    for number, name, zone in db.execute("SELECT number, name, zone FROM villages ORDER BY number"):
        count, women, youth, active = people.get(number, (0, 0, 0, 0))
        recent, older = reports.get(number, (0, 0))
        responded, false_alarms, closed = outcomes.get(number, (0, 0, 0))
        figures.append({"number": number, "name": name, "zone": zone,
                        "focal_points": count, "women": women or 0, "youth": youth or 0,
                        "active_focal_points": active or 0, "last_heard_at": heard.get(number),
                        "reports_30d": recent or 0, "reports_90d": older or 0,
                        "closed_after_response": responded or 0,
                        "closed_without_response": (closed or 0) - (responded or 0),
                        "false_alarms": false_alarms or 0})
    return figures


def focal_figures(db: Database) -> list[dict]:
    """Per focal point (for the base only: names and numbers): reports sent, how many were in
    confirmed incidents and in false alarms, when last heard."""
    sent: dict[str, list[int]] = {}
    for sender, reports, confirmed, false_alarms in db.execute(
            "SELECT a.sender, COUNT(*), SUM(i.level = 'confirmed'), SUM(i.state = 'false_alarm')"
            " FROM alerts a LEFT JOIN incident_alerts m ON m.alert_id = a.id LEFT JOIN incidents"
            " i ON i.id = m.incident_id WHERE a.sender IS NOT NULL GROUP BY a.sender"):
        sent[sender] = [reports, confirmed or 0, false_alarms or 0]
    stations: dict[str, list[int]] = {}  # what stations sent under any SSID (9Q2KAM-1)
    for sender, counts in sent.items():
        if "-" in sender:
            total = stations.setdefault(sender.partition("-")[0], [0, 0, 0])
            total[:] = [a + b for a, b in zip(total, counts, strict=True)]
    figures = []
    for focal_id, name, phone, callsign, village, heard in db.execute(
            "SELECT f.id, f.name, f.phone, f.callsign, v.name, h.at FROM focal_points f"
            " LEFT JOIN villages v ON v.number = f.village LEFT JOIN last_heard h"
            " ON h.kind = 'focal' AND h.subject = f.id ORDER BY f.name"):
        parts = [sent.get(phone or ""), sent.get(callsign or "")]
        if callsign and "-" not in callsign:
            parts.append(stations.get(callsign))
        totals = [sum(p[i] for p in parts if p) for i in range(3)]
        figures.append({"id": focal_id, "name": name, "phone": phone, "callsign": callsign,
                        "village": village, "last_heard_at": heard, "reports": totals[0],
                        "confirmed": totals[1], "false_alarms": totals[2]})
    return figures
