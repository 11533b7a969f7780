"""Incidents across bases (the most severe first) and the alerts of every base of the last
`[console] recent_hours`, filtered by base, state and village, refreshed live. Alerts carry
what the bases publish: a pseudonym and a text scrubbed of numbers and names."""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request

from gateway.console.hq.app import HqConsole, hq_of
from gateway.console.hq.live import live_page
from gateway.hq import views
from gateway.hq.config import BASE_ID
from gateway.hq.records import epoch

STATES = {"open": views.OPEN_STATES, "closed": ("closed",), "false_alarm": ("false_alarm",),
          "all": (*views.OPEN_STATES, "closed", "false_alarm")}
INCIDENTS, ALERTS = 200, 100  # at most this many on the page


@dataclass(frozen=True)
class IncidentRow:
    """An incident with what its payload says (README, 'Incident payload'), where it says it."""

    incident: views.IncidentView
    villages: str | None
    category: str | None
    reports: int | None
    last_report_at: float | None


@dataclass(frozen=True)
class AlertRow:
    alert: views.AlertView
    ref: str
    label: str | None  # the code's words in the user's language (the base's code book)
    text: str
    count: int | None
    channel: str | None
    sender: str | None  # a pseudonym: who else reported, never who


def incident_row(incident: views.IncidentView) -> IncidentRow:
    payload = incident.payload
    places = payload.get("villages")
    names = [_name(place) for place in places] if isinstance(places, list) else [
        _name(payload.get("village"))]
    reports = payload.get("reports")
    category = payload.get("category")
    return IncidentRow(incident, ", ".join(n for n in names if n) or None,
                       category if isinstance(category, str) else None,
                       reports if isinstance(reports, int) else None,
                       epoch(payload.get("last_report_at") or payload.get("updated_at")))


def _name(place: object) -> str | None:
    if isinstance(place, dict):
        place = place.get("name")
    return place if isinstance(place, str) else None


def alert_row(console: HqConsole, alert: views.AlertView, language: str) -> AlertRow:
    payload = alert.payload
    code = console.book(alert.base).codebook.codes.get(str(payload.get("code") or ""))
    count, sender = payload.get("count"), payload.get("sender")
    return AlertRow(alert, str(payload.get("ref") or alert.uid),
                    code.label(language) if code else (
                        alert.category.replace("_", " ") if alert.category else None),
                    str(payload.get("text") or ""), count if isinstance(count, int) else None,
                    str(payload.get("channel") or "") or None,
                    sender if isinstance(sender, str) else None)


def _context(request: Request) -> dict:
    console = hq_of(request)
    query = request.query_params
    base = query.get("base") if BASE_ID.fullmatch(query.get("base", "")) else None
    state = query.get("state", "")
    state = state if state in STATES else "open"
    village = int(query["village"]) if query.get("village", "").isdigit() else None
    since = time.time() - console.config.console.recent_hours * 3600
    language = request.state.user.language
    alerts = views.recent_alerts(console.conn, since, ALERTS, base, village)
    return {
        "incidents": [incident_row(i) for i in views.incidents(console.conn, STATES[state],
                                                               INCIDENTS, base)],
        "alerts": [alert_row(console, alert, language) for alert in alerts],
        "bases": [b.id for b in console.hq.bases], "states": STATES, "chosen": {
            "base": base, "state": state, "village": village},
        "hours": console.config.console.recent_hours,
        "panel": "/incidents/panel" + (f"?{request.url.query}" if request.url.query else "")}


PAGE = live_page("hq_incidents", "/incidents", "feed", "hq_incidents", _context)
