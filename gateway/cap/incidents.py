"""An incident's version as a CAP 1.2 message: what the base knows of the event now, how sure it
is, and which earlier messages this one replaces.

Version 1 is an `Alert`; every later version an `Update` whose `references` name earlier
messages of the incident (and the last message of each incident merged into it); a false
alarm, or an incident merged into another, is a `Cancel`; a closed one says `AllClear`. Each
message's `sent` is when its version was made (store: incident_versions), so a reference
written today names exactly the `sent` the earlier message carried.

Certainty follows the corroboration level: confirmed is Observed, corroborated Likely, a single
report Likely from a registered focal point and Possible otherwise, a false alarm Unlikely.
`expires` is the `[triage]` window of the incident's category after its last report (while open:
the time within which another report would still join it), or after the message for an
ended incident (so readers see the all-clear or the cancel). Nothing names or counts towards a
person: no number, name, pseudonym or free text, only counts, codes, places and times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.alerts.codes import CodeBook
from gateway.cap.alerts import CAP_CATEGORY, UNPARSED_EVENT, CapContext, area_of, base_context
from gateway.cap.message import Info, Message, Reference
from gateway.config import Config
from gateway.store import Store
from gateway.store import incidents as incident_store
from gateway.store.incidents import OPEN_STATES, IncidentRow

CANCELLED = ("false_alarm", "merged")
CERTAINTY = {"confirmed": "Observed", "corroborated": "Likely"}
DESCRIPTION = {
    "fr": "{event} : {reports} message(s) de {senders} expéditeur(s) par {channels} ; {places}",
    "sw": "{event}: ujumbe {reports} kutoka kwa watumaji {senders} kwa {channels}; {places}",
    "en": "{event}: {reports} report(s) from {senders} sender(s) by {channels}; {places}"}
MAX_REFERENCES = 10  # the first message and the newest earlier ones: a flood makes thousands


@dataclass(frozen=True)
class History:
    """What an incident's message refers to besides the incident itself."""

    versions: Sequence[tuple[int, float]]  # (version, made at) of this incident, oldest first
    merged: Sequence[tuple[IncidentRow, float]]  # incidents merged into it, their last `sent`
    merged_into: IncidentRow | None = None


def identifier(incident: IncidentRow, version: int) -> str:
    """`KWJ-71b6-I12-v3`: one message per version, stable across exports and links."""
    return f"{incident.uid}-v{version}"


def incident_history(db: Database, incident: IncidentRow) -> History:
    merged = [(other, _made_at(db, other)) for other in incident_store.merged_from(db, incident.id)]
    into = incident_store.get(db, incident.merged_into) if incident.merged_into else None
    return History(incident_store.versions(db, incident.id), merged, into)


def _made_at(db: Database, incident: IncidentRow) -> float:
    kept = dict(incident_store.versions(db, incident.id))
    return kept.get(incident.version, incident.updated_at)


def msg_type(incident: IncidentRow, referencing: bool) -> str:
    """Alert when no earlier message exists (version 1, or an incident older than CAP here)."""
    if not referencing:
        return "Alert"
    return "Cancel" if incident.state in CANCELLED else "Update"


def certainty(incident: IncidentRow) -> str:
    if incident.state == "false_alarm":
        return "Unlikely"
    if incident.category is None:
        return "Unknown"
    if incident.level in CERTAINTY:
        return CERTAINTY[incident.level]
    return "Likely" if incident.registered_senders else "Possible"


def incident_message(incident: IncidentRow, history: History, context: CapContext) -> Message:
    """The CAP message of the incident's current version."""
    sender = context.cap.sender_for(context.config.base.id)
    made = dict(history.versions)
    sent = made.get(incident.version, incident.updated_at)
    earlier = [(version, at) for version, at in history.versions if version < incident.version]
    if len(earlier) > MAX_REFERENCES:
        earlier = [earlier[0], *earlier[-(MAX_REFERENCES - 1):]]
    references = [Reference(sender, identifier(incident, version), at) for version, at in earlier]
    references += [Reference(sender, identifier(other, other.version), at)
                   for other, at in history.merged]
    note = f"{incident.ref}: {incident.state.replace('_', ' ')}"
    if history.merged_into is not None:
        note += f" into {history.merged_into.ref}"
    return Message(
        identifier=identifier(incident, incident.version), sender=sender, sent=sent,
        infos=[_info(incident, sent, context, language) for language in context.languages],
        status="Test" if incident.category == "test" else "Actual",
        msg_type=msg_type(incident, bool(references)),
        scope=context.cap.scope, restriction=context.cap.restriction, note=note,
        references=references,
        incidents=" ".join([incident.uid, *(other.uid for other, _ in history.merged)]))


def expires(incident: IncidentRow, sent: float, context: CapContext) -> float:
    window = context.expires_after(incident.category)
    if incident.state in OPEN_STATES:
        return (incident.last_report_at or incident.first_at) + window
    return sent + window


def _event(incident: IncidentRow, context: CapContext, language: str) -> str:
    for code in context.codebook.codes.values():  # the first code of the incident's category
        if code.category == incident.category:
            return code.label(language)
    return UNPARSED_EVENT.get(language, UNPARSED_EVENT["en"])


def _info(incident: IncidentRow, sent: float, context: CapContext, language: str) -> Info:
    event = _event(incident, context, language)
    areas = [area_of(context.villages.get(number), name, language, context.cap.radius_km)
             for number, name in incident.villages] or \
        [area_of(None, None, language, context.cap.radius_km)]
    places = ", ".join(area.description for area in areas)
    parameters = {
        "reference": incident.ref, "version": str(incident.version), "state": incident.state,
        "level": incident.level, "reports": str(incident.reports),
        "senders": str(incident.senders), "registered_senders": str(incident.registered_senders),
        "channels": " ".join(incident.channels)}
    return Info(
        language=language, category=CAP_CATEGORY.get(incident.category, "Security"),
        event=event, urgency=incident.urgency, severity=incident.severity,
        certainty=certainty(incident),
        sender_name=f"{context.config.base.name} ({context.config.base.id})",
        headline=f"{event} - {places}",
        description=DESCRIPTION.get(language, DESCRIPTION["en"]).format(
            event=event, reports=incident.reports, senders=incident.senders,
            channels=", ".join(incident.channels) or "-", places=places),
        areas=areas, effective=incident.first_report_at or incident.first_at,
        expires=expires(incident, sent, context),
        response="AllClear" if incident.state == "closed" else None,
        event_codes={"cangw:category": incident.category} if incident.category else {},
        parameters=parameters)


def incident_context(store: Store, config: Config, codebook: CodeBook) -> CapContext:
    """The base's villages and its `[triage]` windows."""
    return base_context(store, config, codebook, config.triage.window)


def incident_messages(db: Database, incidents: Sequence[IncidentRow],
                      context: CapContext) -> list[Message]:
    return [incident_message(incident, incident_history(db, incident), context)
            for incident in incidents]


def stored_incident_messages(store: Store, config: Config, codebook: CodeBook,
                             since: float | None = None) -> list[Message]:
    """The current message of every incident changed since `since` (all without it), oldest
    change first."""
    return incident_messages(store.db, incident_store.changed_since(store.db, since),
                             incident_context(store, config, codebook))
