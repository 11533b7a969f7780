"""What the simulated modem remembers: its SIM storage, settings, and what it sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gateway.sim.calls import SimulatedCall


@dataclass
class StoredMessage:
    pdu: str
    sender: str | None
    text: str
    when: dt.datetime
    read: bool = False


@dataclass(frozen=True)
class SentMessage:
    number: str | None
    text: str
    pdu: str
    at: float


@dataclass
class ModemState:
    """Everything the AT commands read and change."""

    capacity: int = 30
    storage: dict[int, StoredMessage] = field(default_factory=dict)
    echo: bool = True
    cmee: int = 0
    pdu_mode: bool = True
    charset: str = "GSM"
    cnmi: tuple[int, ...] = (0, 0, 0, 0, 0)
    clip: bool = False
    pin: str | None = None
    unlocked: bool = True
    signal: int = 20
    registration: int = 1
    operator: str = "Vodacom CD"
    ussd_reply: str | None = "Votre solde est de 1250 FC."  # None: the network refuses USSD
    call: SimulatedCall | None = None
    calls: list[SimulatedCall] = field(default_factory=list)
    keypad_supported: bool = True  # False: AT+DDET is refused, as on some firmware builds
    keypad_on: bool = False
    message_reference: int = 0
    sent: list[SentMessage] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # every PDU ever stored, in order
    events: list[tuple[float, str, object]] = field(default_factory=list)

    def free_index(self) -> int | None:
        return next((i for i in range(1, self.capacity + 1) if i not in self.storage), None)
