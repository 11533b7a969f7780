"""An alert as a CAP 1.2 message: what was reported, where and how sure the base is, without
who reported it (no number, name or pseudonym in any field)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.alerts.codes import CodeBook
from gateway.alerts.registry_cache import RegistryCache
from gateway.cap.config import CapConfig
from gateway.cap.message import Area, Info, Message
from gateway.config import Config
from gateway.model import Village
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.alerts import AlertRow

# CAP's categories for the code book's; anything not listed is a matter of security.
CAP_CATEGORY = {"displacement": "Safety", "check_in": "Other", "test": "Other", None: "Other"}
UNPARSED_EVENT = {"fr": "Message à lire", "sw": "Ujumbe wa kusoma", "en": "Report to read"}
NOWHERE = {"fr": "Lieu inconnu", "sw": "Mahali hapajulikani", "en": "Place unknown"}
ALERT_CURRENT_FOR = 86400.0  # how long a stored alert stays current in its CAP `expires`


@dataclass(frozen=True)
class CapContext:
    """What an alert's CAP message is made from besides the alert."""

    config: Config
    cap: CapConfig
    codebook: CodeBook
    villages: Mapping[int, Village]
    redact: Callable[[str], str]  # free text safe to leave the base
    expires_after: Callable[[str | None], float]  # seconds an alert of a category stays current

    @property
    def languages(self) -> tuple[str, ...]:
        """The base's language, and English for partners when it is another."""
        own = self.config.base.language
        return (own,) if own == "en" else (own, "en")


def base_context(store: Store, config: Config, codebook: CodeBook,
                 expires_after: Callable[[str | None], float]) -> CapContext:
    """The base's own: its villages, and free text scrubbed by its registry."""
    return CapContext(config, config.cap_settings, codebook,
                      {v.number: v for v in reg.villages(store)},
                      RegistryCache(store, codebook).redact, expires_after)


def stored_alert_messages(store: Store, config: Config, codebook: CodeBook,
                          since: float | None = None) -> list[Message]:
    """The base's stored alerts (since `since`, all without it) as CAP messages, oldest first;
    free text scrubbed by the base's own registry."""
    context = base_context(store, config, codebook, lambda category: ALERT_CURRENT_FOR)
    return [alert_message(alert, context) for alert in
            reversed(alert_store.recent(store.db, since, limit=None))]


def certainty(alert: AlertRow) -> str:
    """One report: likely from a registered focal point, possible from an unknown sender."""
    if alert.code is None:
        return "Unknown"
    return "Likely" if alert.registered else "Possible"


def alert_message(alert: AlertRow, context: CapContext) -> Message:
    infos = [_info(alert, context, language) for language in context.languages]
    return Message(
        identifier=alert.uid, sender=context.cap.sender_for(context.config.base.id),
        sent=alert.received_at, infos=infos,
        status="Test" if alert.category == "test" else "Actual",
        scope=context.cap.scope, restriction=context.cap.restriction,
        note=f"{alert.ref}: report by {alert.channel}")


def area_of(village: Village | None, name: str | None, language: str, radius_km: float) -> Area:
    if village is None and name is None:
        return Area(NOWHERE.get(language, NOWHERE["en"]))
    return Area(village.name if village else str(name), village.lat if village else None,
                village.lon if village else None, radius_km)


def _info(alert: AlertRow, context: CapContext, language: str) -> Info:
    code = context.codebook.codes.get(alert.code) if alert.code else None
    event = code.label(language) if code else UNPARSED_EVENT.get(language, UNPARSED_EVENT["en"])
    village = context.villages.get(alert.village_number) if alert.village_number else None
    area = area_of(village, alert.village_name, language, context.cap.radius_km)
    where = f" - {alert.village_name}" if alert.village_name else ""
    parameters = {"reference": alert.ref, "channel": alert.channel, "reports": str(alert.repeats)}
    if alert.count is not None:
        parameters["people"] = str(alert.count)
    return Info(
        language=language, category=CAP_CATEGORY.get(alert.category, "Security"), event=event,
        urgency=alert.urgency, severity=alert.severity, certainty=certainty(alert),
        sender_name=f"{context.config.base.name} ({context.config.base.id})",
        headline=f"{event}{where}", description=context.redact(alert.text) or event,
        areas=[area], effective=alert.received_at,
        expires=alert.received_at + context.expires_after(alert.category),
        event_codes={"cangw:code": code.number} if code else {},
        parameters=parameters)
