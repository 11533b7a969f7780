"""An incident as a page may show it to one user: its reports, who reported it (the
corroboration), its changes and the follow-ups its next change would send. The server decides
what leaves it: technicians get no message texts, notes or names; numbers are masked for all
but those allowed to see them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gateway.alerts.codes import CodeBook
from gateway.config import Config
from gateway.console.privacy import shown_identity
from gateway.console.roles import allowed
from gateway.console.views import AlertView, alert_views
from gateway.outreach.config import FOLLOW_UP_ACTIONS, outreach_settings
from gateway.outreach.follow_ups import FollowUps
from gateway.outreach.templates import Book
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store.incidents import Change, IncidentRow
from gateway.store.users import User

# An incident a flood or a long night made of thousands of reports still opens at once: the page
# shows the first of each list and says how many more there are (the CLI lists them all).
REPORTS_SHOWN = 100
REPORTERS_SHOWN = 100
FOLLOW_UPS_SHOWN = 20
CHANGES_SHOWN = 100


@dataclass(frozen=True)
class ReporterView:
    """One sender, as the corroboration counts them."""

    number: int  # 1, 2...: the order they first reported in
    name: str | None  # None: unregistered, or the user may not see names
    identity: str | None  # their number or callsign, masked unless the user may see it
    registered: bool
    reports: int
    channels: tuple[str, ...]
    typed: bool  # typed in by an operator (a voice alert without a sender)


@dataclass(frozen=True)
class FollowUpView:
    """What one follow-up action would send, to whom (masked) and by which route."""

    action: str
    on: bool  # whether `[outreach] follow_ups` sends it
    planned: list[tuple[str | None, str, str | None, str]]  # (who, language, route, text)
    more: int  # people beyond those planned here


@dataclass(frozen=True)
class IncidentPage:
    incident: IncidentRow
    reports: list[tuple[AlertView, bool]]  # each report with whether it was throttled
    reporters: list[ReporterView]
    changes: list[Change]  # the latest ones
    follow_ups: list[FollowUpView]
    merged_into: str | None
    more_reports: int  # beyond those shown
    more_reporters: int
    more_changes: int


def incident_page(store: Store, config: Config, codebook: CodeBook, book: Book,
                  incident: IncidentRow, user: User) -> IncidentPage:
    texts = allowed(user.role, "feed")
    full = allowed(user.role, "numbers")
    country = config.base.country_code
    rows = alert_store.in_incident(store.db, incident.id, REPORTS_SHOWN)
    views = alert_views(store, [alert for alert, _ in rows], user, codebook, country)
    if not texts:
        views = [dataclasses.replace(v, text="", sender_name=None, sender=None) for v in views]
    every_change = incident_store.changes(store.db, incident.id)
    changes = every_change[-CHANGES_SHOWN:]
    if not texts:
        changes = [dataclasses.replace(c, note="") for c in changes]
    merged = incident_store.get(store.db, incident.merged_into) if incident.merged_into else None
    reporters = _reporters(store, incident, texts, full, country)
    return IncidentPage(
        incident, list(zip(views, [throttled for _, throttled in rows], strict=True)),
        reporters, changes, _follow_ups(store, config, book, incident, full) if texts else [],
        merged.ref if merged else None, max(0, incident.reports - len(rows)),
        max(0, incident.senders - len(reporters)), len(every_change) - len(changes))


def _reporters(store: Store, incident: IncidentRow, names: bool, full: bool,
               country: str) -> list[ReporterView]:
    shown = []
    for number, reporter in enumerate(
            incident_store.reporters(store.db, incident.id, REPORTERS_SHOWN), 1):
        focal = reg.focal_point(store, reporter.sender) if names and reporter.sender else None
        shown.append(ReporterView(
            number, focal.name if focal else None,
            shown_identity(reporter.sender, full, country) if names else None,
            reporter.registered, reporter.reports, reporter.channels, reporter.person is None))
    return shown


def _follow_ups(store: Store, config: Config, book: Book, incident: IncidentRow,
                full: bool) -> list[FollowUpView]:
    """For each action that can send a follow-up, what it would send now, to whom."""
    planner = FollowUps(config, book, store.pseudonymiser())
    enabled = outreach_settings(config).follow_ups
    shown = []
    for action in FOLLOW_UP_ACTIONS:
        planned = planner.plan(store.db, incident, action, FOLLOW_UPS_SHOWN)
        shown.append(FollowUpView(action, action in enabled, [
            (shown_identity(p.sender, full, config.base.country_code), p.language, p.route,
             p.text) for p in planned], max(0, incident.senders - len(planned))))
    return shown
