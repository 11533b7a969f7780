"""What a focal point's SMS may be besides an alert: STOP or START (broadcasts only; an alert
is always acknowledged), or a reply to a broadcast they received.

Called by the pipeline in the transaction that would store the message, before anything else:
the message is kept (in `messages`, like every message) and nothing else is made of it. A
message that carries an alert code is never a reply: it is an alert, whatever came before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.alerts.text import fold, to_gsm7
from gateway.config import Config
from gateway.outreach.config import outreach_settings
from gateway.outreach.templates import Book
from gateway.store import Store, inbox, opt_outs, outbox
from gateway.store import broadcasts as broadcast_store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

log = logging.getLogger(__name__)

WORD = re.compile(r"[^\W_]+")
ANSWER_PRIORITY = PRIORITY["Minor"]  # after the alerts' acknowledgements, before follow-ups


class OutreachIntake:
    def __init__(self, store: Store, config: Config, book: Book,
                 carries_code: Callable[[str], bool], pseudonym: Callable[[str | None], str | None]):
        self.store = store
        self.book = book
        self.window = outreach_settings(config).reply_window
        self.base_language = config.base.language
        self.carries_code = carries_code
        self.pseudonym = pseudonym

    def take(self, db: Database, message: NewMessage, now: float) -> bool:
        """True when the message was a STOP, a START or a reply, and is now stored as such."""
        if message.channel != "sms" or not message.sender or message.decode_error:
            return False
        focal = reg.focal_point(self.store, message.sender)
        identity = reg.focal_identity(db, message.sender)
        if focal is None or identity is None:
            return False
        keyword = self.book.keyword(message.text)
        if keyword is not None:
            self._opt(db, message, identity[0], keyword, focal.language, now)
            return True
        if self.carries_code(message.text):
            return False
        received = broadcast_store.last_received(db, identity[0], now - self.window)
        if received is None:
            return False
        words = WORD.findall(fold(message.text))
        broadcast_store.add_reply(db, inbox.insert_message(db, message), received[0], received[1],
                                  (words[0] if words else "-")[:20], now)
        log.info("a reply from %s to broadcast %d", self.pseudonym(message.sender), received[0])
        return True

    def _opt(self, db: Database, message: NewMessage, focal_id: int,
             keyword: tuple[str, str], language: str | None, now: float) -> None:
        action, said_in = keyword
        message_id = inbox.insert_message(db, message)
        changed = opt_outs.record(db, focal_id, action, now, message_id)
        who = self.pseudonym(message.sender)
        if not changed:
            log.info("%s from %s: already so; kept, not answered again", action.upper(), who)
            return
        text = self.book.replies[action][language or said_in or self.base_language]
        outbox.enqueue(db, "sms", ANSWER_PRIORITY, now, recipient=message.sender,
                       body=to_gsm7(text))
        log.info("%s from %s: broadcasts %s (acknowledgements go on)", action.upper(), who,
                 "stopped" if action == opt_outs.STOP else "resumed")
