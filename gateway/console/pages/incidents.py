"""Incidents: the list (open ones first, by state, zone and village) and one incident with its
reports, the corroboration, its changes and the follow-ups; the duty officer's changes (seen,
responding, closed, false alarm, reopen, confirm, merge, split) go through the same triage
functions as `cangw incident ...`, are published the same way, and audited."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.console.incident_views import incident_page
from gateway.console.pages import Page
from gateway.console.web import audit, console_of, outreach_book, page, refuse, render
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store.incidents import OPEN_STATES, IncidentRow
from gateway.triage.incidents import ACTIONS, ALLOWED_FROM, IncidentError, Incidents, by_hand

PAGE_SIZE = 50
CLOSED_STATES = ("closed", "false_alarm")
GROUPS = {"open": OPEN_STATES, "closed": CLOSED_STATES, "merged": ("merged",)}
CHOICES = ("open", "closed", "all", "seen", "responding", "false_alarm", "merged")
NOTE_LENGTH = 500
REFS = re.compile(r"[\s,;]+")


def _states(choice: str) -> list[tuple[str, ...]]:
    """The lists to show one after the other: open ones first when every state is asked."""
    if choice == "all":
        return [OPEN_STATES, (*CLOSED_STATES, "merged")]
    if choice in GROUPS:
        return [GROUPS[choice]]
    return [(choice,)]


def _before(text: str) -> tuple[float, int] | None:
    """The key that ended the previous page: `last_at:id`."""
    at, _, number = text.partition(":")
    try:
        return float(at), int(number)
    except ValueError:
        return None


@page("incidents")
async def listing(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    choice = query.get("state", "open")
    choice = choice if choice in CHOICES else "open"
    village_text = query.get("village", "")
    village = int(village_text) if village_text.isdigit() else None
    zones = reg.zones(console.store)
    zone = query.get("zone") if query.get("zone") in zones else None
    before = _before(query.get("before", ""))
    shown: list[IncidentRow] = []
    for states in _states(choice):
        room = PAGE_SIZE - len(shown)
        if room > 0:
            shown += incident_store.listing(console.store.db, states, room, village, zone, before)
    last = shown[-1] if len(shown) == PAGE_SIZE and choice != "all" else None
    return render(request, "incidents.html", {
        "incidents": shown, "choices": CHOICES, "chosen": {"state": choice, "zone": zone,
                                                          "village": village},
        "zones": zones, "villages": reg.villages(console.store),
        "older": f"{last.last_at}:{last.id}" if last else None})


def _incident(request: Request) -> IncidentRow | None:
    return incident_store.by_ref(console_of(request).store.db, request.path_params["ref"])


def _show(request: Request, incident: IncidentRow, error: str | None = None,
          status: int = 200) -> Response:
    console = console_of(request)
    shown = incident_page(console.store, console.config, console.codebook,
                          outreach_book(console), incident, request.state.user)
    actions = [a for a in ACTIONS if incident.state in ALLOWED_FROM[a]]
    return render(request, "incident.html", {"page": shown, "i": incident, "actions": actions,
                                             "error": error}, status)


@page("incidents")
async def show(request: Request) -> Response:
    incident = _incident(request)
    if incident is None:
        return await refuse(request, 404, "error.not_found")
    return _show(request, incident)


async def _change(request: Request, what: str,
                  make: Callable[[Incidents, IncidentRow, dict[str, str]], IncidentRow]) -> Response:
    """Make a change as the signed-in user, audited; the page again with the reason when it
    cannot be made (a state it cannot go to, a report that is not this incident's)."""
    console = console_of(request)
    incident = _incident(request)
    if incident is None:
        return await refuse(request, 404, "error.not_found")
    data = await request.form()
    form = {"note": str(data.get("note", "")).strip()[:NOTE_LENGTH],
            "others": str(data.get("others", "")),
            "alerts": " ".join(str(v) for v in data.getlist("alert"))}
    try:
        changed = make(by_hand(console.store, console.config, console.codebook), incident, form)
    except IncidentError as exc:
        return _show(request, incident, str(exc), 400)
    audit(request, f"incident {what}", incident.ref,
          f"{changed.ref}: {changed.state}" if changed.ref != incident.ref else changed.state)
    return RedirectResponse(f"/incidents/{changed.ref}", 303)


@page("incidents.write")
async def change_state(request: Request) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    if action not in ACTIONS:
        return await refuse(request, 400, "error.bad_request")
    return await _change(request, action, lambda incidents, incident, values: (
        incidents.change_state(incident.id, action, request.state.user.name, values["note"],
                               time.time())))


@page("incidents.write")
async def merge(request: Request) -> Response:
    """Merge the incidents named in `others` (refs, separated by spaces or commas) into this one."""
    db = console_of(request).store.db

    def make(incidents: Incidents, incident: IncidentRow, values: dict[str, str]) -> IncidentRow:
        others = []
        for ref in filter(None, REFS.split(values.get("others", ""))):
            other = incident_store.by_ref(db, ref)
            if other is None:
                raise IncidentError(f"no incident {ref}")
            others.append(other.id)
        return incidents.merge(incident.id, others, request.state.user.name, values["note"],
                               time.time())

    return await _change(request, "merge", make)


@page("incidents.write")
async def split(request: Request) -> Response:
    """Take the ticked reports out of this incident into a new one."""
    return await _change(request, "split", lambda incidents, incident, values: incidents.split(
        incident.id, values["alerts"].split(), request.state.user.name, values["note"],
        time.time()))


PAGE = Page("incidents", "/incidents", "incidents", [
    Route("/incidents", listing),
    Route("/incidents/{ref}", show),
    Route("/incidents/{ref}/state", change_state, methods=["POST"]),
    Route("/incidents/{ref}/merge", merge, methods=["POST"]),
    Route("/incidents/{ref}/split", split, methods=["POST"]),
])
