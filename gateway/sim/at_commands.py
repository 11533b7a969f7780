"""The AT command set of the simulated modem: parsing a command line and answering each command.

Replies follow a SIM800 (3GPP TS 27.005/27.007): `+CMGR: <stat>,,<length>` then the PDU in
PDU mode, numeric `+CMS ERROR` codes with AT+CMEE=1, `+CMGD` on an empty slot is OK, an
index beyond the SIM's capacity is CMS 321.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gsmmodem.pdu import decodeSmsPdu

from gateway.sim.modem_state import ModemState, SentMessage, StoredMessage

IDENTITY = {
    "+CGMI": "SIMCOM_Ltd", "+GMI": "SIMCOM_Ltd",
    "+CGMM": "SIMCOM_SIM800", "+GMM": "SIMCOM_SIM800",
    "+CGMR": "Revision:1418B04SIM800C24", "+GMR": "Revision:1418B04SIM800C24",
    "+CGSN": "866262037000001", "+GSN": "866262037000001",
    "+CIMI": "630010000000001", "+CCID": "89243010000000000001",
}
TEXT_STATUS = ["REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL"]
NEEDS_SIM = {"+CMGF", "+CPMS", "+CMGR", "+CMGL", "+CMGD", "+CMGS", "+CNMI", "+COPS", "+CSCA",
             "+CUSD", "+CIMI", "+CCID", "+CPBS", "+CPBR", "+CPBW"}


class SimError(Exception):
    def __init__(self, code: int | None = None, cms: bool = False):
        super().__init__(code)
        self.code = code
        self.cms = cms


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    prompt_for: str | None = None  # set ("" in PDU mode, the number in text mode) for AT+CMGS
    after: list[str] = field(default_factory=list)  # URCs sent after the final OK


class AtCommandSet:
    def __init__(self, state: ModemState, emit: Callable[[str], None]):
        self.state = state
        self.emit = emit
        self.extended: dict[str, Callable[[str, str, Outcome], None]] = {
            "+CMEE": self._cmee, "+CPIN": self._cpin, "+CSQ": self._csq, "+CREG": self._creg,
            "+CGREG": self._creg, "+COPS": self._cops, "+CMGF": self._cmgf, "+CSCS": self._cscs,
            "+CPMS": self._cpms, "+CNMI": self._cnmi, "+CMGR": self._cmgr, "+CMGL": self._cmgl,
            "+CMGD": self._cmgd, "+CMGS": self._cmgs, "+CSCA": self._csca, "+CSMP": self._ok,
            "+CSMS": self._csms, "+CLIP": self._clip, "+CUSD": self._cusd, "+CFUN": self._cfun,
            "+CBC": self._cbc, "+CLAC": self._clac, "+CNUM": self._ok, "+CSDH": self._ok,
            "+CMMS": self._ok, "+CHUP": self._chup, "+CLCC": self._clcc, "+CRC": self._ok,
            "+DDET": self._ddet, "+CPBS": self._cpbs, "+CPBR": self._cpbr, "+CPBW": self._cpbw,
        }

    # -- parsing ------------------------------------------------------------------------------
    def run_line(self, line: str) -> Outcome:
        outcome = Outcome()
        body = line[2:]
        position = 0
        while position < len(body):
            if body[position] in "+^$":
                end = _command_end(body, position)
                self._extended(body[position:end], outcome)
                position = end + 1
            else:
                position = self._basic(body, position, outcome)
        return outcome

    def _basic(self, body: str, position: int, outcome: Outcome) -> int:
        match = re.match(r"(&?[A-Za-z])(\d*)(=\d+|\?)?", body[position:])
        if match is None:
            raise SimError()
        letter, digits = match.group(1).upper(), match.group(2)
        if letter == "D":
            raise SimError()  # outgoing calls are not simulated
        if letter == "A":
            if self.state.call is None or not self.state.call.answer():
                raise SimError()
            self.state.events.append((time.time(), "answer", self.state.call.number))
        elif letter == "H":
            self._hang_up()
        elif letter == "E":
            self.state.echo = digits != "0"
        elif letter in ("Z", "&F"):
            self.state.echo, self.state.cmee = True, 0
        elif letter == "I":
            outcome.lines.append("SIM800 R14.18")
        elif letter not in ("V", "Q", "S", "&W", "&D", "&C", "&K", "X", "L", "M"):
            raise SimError()
        return position + match.end()

    def _extended(self, command: str, outcome: Outcome) -> None:
        match = re.match(r"([+^$][A-Za-z]+)(=\?|\?|=)?(.*)", command, re.S)
        if match is None:
            raise SimError()
        name, operator, args = match.group(1).upper(), match.group(2) or "", match.group(3)
        kind = {"=?": "test", "?": "read", "=": "set", "": "exec"}[operator]
        if name in IDENTITY and kind == "exec":
            self._need_sim(name)
            outcome.lines.append(IDENTITY[name])
            return
        handler = self.extended.get(name)
        if handler is None:
            raise SimError()
        if kind != "test":
            self._need_sim(name)
        handler(kind, args.strip(), outcome)

    def _need_sim(self, name: str) -> None:
        if name in NEEDS_SIM and not self.state.unlocked:
            raise SimError(11)  # SIM PIN required

    # -- handlers -----------------------------------------------------------------------------
    def _ok(self, kind: str, args: str, out: Outcome) -> None:
        pass

    def _cmee(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set":
            self.state.cmee = _int(args, 0, 2)
        elif kind == "read":
            out.lines.append(f"+CMEE: {self.state.cmee}")
        elif kind == "test":
            out.lines.append("+CMEE: (0-2)")

    def _cpin(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "read":
            out.lines.append("+CPIN: READY" if self.state.unlocked else "+CPIN: SIM PIN")
        elif kind == "set":
            if args.strip('"') != self.state.pin:
                raise SimError(16)  # incorrect password
            self.state.unlocked = True

    def _csq(self, kind: str, args: str, out: Outcome) -> None:
        out.lines.append("+CSQ: (0-31,99),(0-7,99)" if kind == "test"
                         else f"+CSQ: {self.state.signal},0")

    def _creg(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set":
            self.state.creg_mode = _int(args, 0, 2)
        elif kind == "read":
            out.lines.append(f"+CREG: {self.state.creg_mode},{self.state.registration}")
        elif kind == "test":
            out.lines.append("+CREG: (0-2)")

    def _cops(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "read":
            registered = self.state.registration in (1, 5)
            out.lines.append(f'+COPS: 0,0,"{self.state.operator}"' if registered else "+COPS: 0")
        elif kind == "test":
            out.lines.append(f'+COPS: (2,"{self.state.operator}","VODA","63001"),,(0-4),(0-2)')

    def _cmgf(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set":
            self.state.pdu_mode = _int(args, 0, 1) == 0
        elif kind == "read":
            out.lines.append(f"+CMGF: {0 if self.state.pdu_mode else 1}")
        elif kind == "test":
            out.lines.append("+CMGF: (0,1)")

    def _cscs(self, kind: str, args: str, out: Outcome) -> None:
        charsets = ("IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1")
        if kind == "set":
            charset = args.strip('"').upper()
            if charset not in charsets:
                raise SimError(4)
            self.state.charset = charset
        elif kind == "read":
            out.lines.append(f'+CSCS: "{self.state.charset}"')
        elif kind == "test":
            out.lines.append("+CSCS: (" + ",".join(f'"{c}"' for c in charsets) + ")")

    def _cpms(self, kind: str, args: str, out: Outcome) -> None:
        used, total = len(self.state.storage), self.state.capacity
        if kind == "set":
            memories = [m.strip().strip('"').upper() for m in args.split(",") if m.strip()]
            if not memories or any(m != "SM" for m in memories):  # the SIM is the only store
                raise SimError(302, cms=True)
            out.lines.append("+CPMS: " + ",".join([f"{used},{total}"] * 3))
        elif kind == "read":
            out.lines.append("+CPMS: " + ",".join([f'"SM",{used},{total}'] * 3))
        elif kind == "test":
            out.lines.append('+CPMS: ("SM"),("SM"),("SM")')

    def _cnmi(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set":
            values = [int(v) for v in args.split(",") if v.strip().isdigit()]
            self.state.cnmi = tuple(values + [0] * (5 - len(values)))
        elif kind == "read":
            out.lines.append("+CNMI: " + ",".join(map(str, self.state.cnmi)))
        elif kind == "test":
            out.lines.append("+CNMI: (0-3),(0-3),(0-3),(0,1),(0,1)")

    def _index(self, args: str) -> int:
        first = args.split(",")[0].strip()
        if not first.isdigit():
            raise SimError(302, cms=True)
        index = int(first)
        if not 1 <= index <= self.state.capacity:
            raise SimError(321, cms=True)  # invalid memory index
        return index

    def _cmgr(self, kind: str, args: str, out: Outcome) -> None:
        if kind != "set":
            return
        index = self._index(args)
        message = self.state.storage.get(index)
        if message is None:
            return
        out.lines.extend(self._listing("+CMGR:", None, message))
        message.read = True
        self.state.events.append((time.time(), "cmgr", index))

    def _cmgl(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "test":
            out.lines.append("+CMGL: (0-4)" if self.state.pdu_mode else
                             "+CMGL: (" + ",".join(f'"{s}"' for s in TEXT_STATUS) + ")")
            return
        wanted = _list_filter(args, self.state.pdu_mode)
        self.state.events.append((time.time(), "cmgl", len(self.state.storage)))
        for index in sorted(self.state.storage):
            message = self.state.storage[index]
            if wanted in (4, int(message.read)):
                out.lines.extend(self._listing("+CMGL:", index, message))
                message.read = True

    def _listing(self, prefix: str, index: int | None, message: StoredMessage) -> list[str]:
        where = f" {index}," if index is not None else " "
        if self.state.pdu_mode:
            smsc_octets = int(message.pdu[:2], 16) + 1
            length = len(message.pdu) // 2 - smsc_octets
            pdu = message.pdu
            if self.state.damaged_reads:  # bytes lost on the line, fewer each time
                pdu = pdu[:-2 * (self.state.damaged_reads + 1)]
                self.state.damaged_reads -= 1
            return [f"{prefix}{where}{int(message.read)},,{length}", pdu]
        status = TEXT_STATUS[int(message.read)]
        stamp = message.when.strftime("%y/%m/%d,%H:%M:%S+00")
        return [f'{prefix}{where}"{status}","{message.sender}","","{stamp}"',
                self._encode_text(message.text)]

    def _encode_text(self, text: str) -> str:
        if self.state.charset == "UCS2":
            return text.encode("utf-16-be").hex().upper()
        return text

    def _cmgd(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "test":
            out.lines.append(f"+CMGD: (1-{self.state.capacity}),(0-4)")
            return
        if kind != "set":
            raise SimError()
        index = self._index(args)
        parts = args.split(",")
        flag = int(parts[1]) if len(parts) > 1 and parts[1].strip().isdigit() else 0
        if flag == 0:
            doomed = [index] if index in self.state.storage else []
        else:  # 1..4: delete all read (and, for 4, unread) messages
            doomed = [i for i, m in self.state.storage.items() if m.read or flag == 4]
        for i in doomed:
            message = self.state.storage.pop(i)
            if not message.read:  # gone without the host ever seeing it: a lost SMS
                self.state.deleted_unread.append(message.pdu)
        self.state.events.append((time.time(), "cmgd", index))

    def _cmgs(self, kind: str, args: str, out: Outcome) -> None:
        if kind != "set":
            raise SimError()
        if self.state.pdu_mode:
            if not args.isdigit():
                raise SimError(304, cms=True)
            out.prompt_for = ""
        else:
            out.prompt_for = args.split(",")[0].strip('"') or ""

    def submit(self, body: str, number: str | None) -> int:
        """Take the text after the '> ' prompt; returns the message reference."""
        if self.state.registration not in (1, 5):
            raise SimError(331, cms=True)  # no network service
        report = False
        if self.state.pdu_mode:
            try:
                decoded = decodeSmsPdu(body)
                data = bytes.fromhex(body)
                report = bool(data[1 + data[0]] & 0x20)  # TP-SRR
            except Exception:
                raise SimError(304, cms=True) from None
            if decoded.get("type") != "SMS-SUBMIT":
                raise SimError(304, cms=True)
            number, text = decoded.get("number"), decoded.get("text") or ""
        else:
            text = body
        self.state.message_reference = (self.state.message_reference + 1) % 256
        sent = SentMessage(number, text, body, time.time(), report, self.state.message_reference)
        self.state.sent.append(sent)
        self.state.events.append((sent.at, "cmgs", number))
        return self.state.message_reference

    def _csca(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "read":
            out.lines.append('+CSCA: "+243990000001",145')

    def _csms(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "read":
            out.lines.append("+CSMS: 0,1,1,1")
        elif kind == "set":
            out.lines.append("+CSMS: 1,1,1")

    def _clip(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set":
            self.state.clip = args.strip() == "1"
        elif kind == "read":
            out.lines.append(f"+CLIP: {int(self.state.clip)},1")

    def _hang_up(self) -> None:
        call = self.state.call
        if call is not None and call.active:
            call.end("gateway")
            self.state.events.append((time.time(), "hang_up", call.number))
        self.state.keypad_on = False

    def _chup(self, kind: str, args: str, out: Outcome) -> None:
        self._hang_up()

    def _clcc(self, kind: str, args: str, out: Outcome) -> None:
        call = self.state.call
        if kind == "exec" and call is not None and call.active:
            status = 0 if call.answered_at else 4  # active, or incoming (ringing)
            out.lines.append(f'+CLCC: 1,1,{status},0,0,"{call.number}",145')

    def _ddet(self, kind: str, args: str, out: Outcome) -> None:
        if not self.state.keypad_supported:
            raise SimError()
        if kind == "set":
            self.state.keypad_on = args.split(",")[0].strip() == "1"
        elif kind == "test":
            out.lines.append("+DDET: (0,1),(0-10000),(0,1),(0,1)")

    def _cusd(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set" and '"' in args:
            if self.state.ussd_reply is None:
                out.after.append("+CUSD: 4")
                return
            reply = self.state.ussd_reply.replace('"', "'")
            out.after.append(f'+CUSD: 0,"{reply}",15')
        elif kind == "read":
            out.lines.append("+CUSD: 1")

    def _cfun(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "read":
            out.lines.append("+CFUN: 1")
        elif kind == "test":
            out.lines.append("+CFUN: (0,1,4),(0,1)")

    def _cbc(self, kind: str, args: str, out: Outcome) -> None:
        out.lines.append("+CBC: 0,85,4100")

    # -- the SIM's phonebook (only "SM", as on a SIM800 without a phone's own memory) ----------
    def _cpbs(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "set" and args.strip('"').upper() != "SM":
            raise SimError(3)
        if kind == "read":
            out.lines.append(f'+CPBS: "SM",{len(self.state.phonebook)},{self.state.phonebook_size}')
        elif kind == "test":
            out.lines.append('+CPBS: ("SM")')

    def _cpbr(self, kind: str, args: str, out: Outcome) -> None:
        if kind == "test":
            out.lines.append(f"+CPBR: (1-{self.state.phonebook_size}),40,14")
            return
        bounds = [_int(part, 1, self.state.phonebook_size) for part in args.split(",")[:2]]
        first, last = bounds[0], bounds[-1]
        entries = [(i, e) for i, e in sorted(self.state.phonebook.items()) if first <= i <= last]
        if not entries:
            raise SimError(22)  # not found
        out.lines.extend(f'+CPBR: {i},"{number}",145,"{name}"' for i, (number, name) in entries)

    def _cpbw(self, kind: str, args: str, out: Outcome) -> None:
        parts = [part.strip().strip('"') for part in args.split(",")]
        index = _int(parts[0], 1, self.state.phonebook_size)
        if len(parts) == 1:
            self.state.phonebook.pop(index, None)
        else:
            self.state.phonebook[index] = (parts[1], parts[3] if len(parts) > 3 else "")

    def _clac(self, kind: str, args: str, out: Outcome) -> None:
        out.lines.extend(sorted({*self.extended, *IDENTITY}))


def _command_end(body: str, start: int) -> int:
    """Index of the ';' ending an extended command (quotes respected), or the line's end."""
    quoted = False
    for index in range(start, len(body)):
        if body[index] == '"':
            quoted = not quoted
        elif body[index] == ";" and not quoted:
            return index
    return len(body)


def _int(text: str, low: int, high: int) -> int:
    text = text.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise SimError(3)
    return int(text)


def _list_filter(args: str, pdu_mode: bool) -> int:
    """AT+CMGL's status filter as 0 (unread), 1 (read) or 4 (all)."""
    value = args.strip().strip('"').upper() or ("0" if pdu_mode else "REC UNREAD")
    if value.isdigit():
        number = int(value)
    elif value in TEXT_STATUS:
        number = TEXT_STATUS.index(value)
    else:
        raise SimError(302, cms=True)
    if number in (2, 3):
        return -1  # stored-unsent/sent: the simulated SIM holds only received messages
    return number
