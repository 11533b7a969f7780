"""The store's schema as forward-only migrations (sqlite-utils Migrations).

A migration is never edited once released: a base in the field upgrades by applying the ones it
has not seen, in order, each in its own transaction.

Migrations run in the order they are registered, which is not the order of their numbers for
the first six (the order bases in the field applied them: m002 was never released, m003 and
m005 came after m004 and m006). RELEASED keeps that order; every later migration takes the
next number and goes at the end, and `check_order` (run by the tests) refuses anything else.
"""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("cangw")

RELEASED = ("m001_initial", "m004_focal_point_callsigns", "m006_alerts_seen", "m003_calls",
            "m005_sbd", "m007_lean_indexes")
NUMBERED = re.compile(r"m(\d{3})_[a-z0-9_]+")


def check_order(names: list[str]) -> None:
    """Raise ValueError unless `names` are the released migrations in their order, followed by
    migrations numbered upward from m008 without gaps."""
    if tuple(names[:len(RELEASED)]) != RELEASED:
        raise ValueError(f"the released migrations must come first, in order: {RELEASED}")
    expected = len(RELEASED) + 2  # m008 follows m007
    for name in names[len(RELEASED):]:
        match = NUMBERED.fullmatch(name)
        if match is None or int(match.group(1)) != expected:
            raise ValueError(f"migration {name!r} is out of order: expected m{expected:03d}_...")
        expected += 1


def registered() -> list[str]:
    """The migrations' names in the order they run."""
    return [migration.name for migration in migrations.pending(Database(memory=True))]


def run_script(db: Database, script: str) -> None:
    """Run a script's statements one by one in the migration's transaction (executescript
    would commit early). Statements end where SQLite says they are complete, so a semicolon
    inside a string literal or a trigger's body does not split one."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


@migrations()
def m001_initial(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE villages (
            number INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            alt_names TEXT NOT NULL DEFAULT '[]',
            lat REAL,
            lon REAL
        );

        CREATE TABLE focal_points (
            phone TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            village INTEGER,
            language TEXT,
            added_at REAL NOT NULL
        );

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            sender TEXT,
            text TEXT NOT NULL,
            received_at REAL NOT NULL,
            modem_time TEXT,
            parts INTEGER NOT NULL DEFAULT 1,
            partial INTEGER NOT NULL DEFAULT 0,
            fingerprint TEXT UNIQUE,
            raw TEXT,
            decode_error TEXT
        );

        CREATE TABLE sms_parts (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,
            sender TEXT,
            concat_ref INTEGER NOT NULL,
            total INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            modem_time TEXT,
            received_at REAL NOT NULL,
            message_id INTEGER REFERENCES messages(id)
        );
        CREATE INDEX sms_parts_open ON sms_parts(sender, concat_ref, total)
            WHERE message_id IS NULL;

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            seq INTEGER NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id),
            channel TEXT NOT NULL,
            code TEXT,
            category TEXT,
            severity TEXT NOT NULL,
            urgency TEXT NOT NULL,
            village_number INTEGER,
            village_name TEXT,
            count INTEGER,
            text TEXT NOT NULL,
            sender TEXT,
            registered INTEGER NOT NULL,
            language TEXT NOT NULL,
            parts INTEGER NOT NULL DEFAULT 1,
            repeats INTEGER NOT NULL DEFAULT 1,
            partial INTEGER NOT NULL DEFAULT 0,
            received_at REAL NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX alerts_received ON alerts(received_at);
        CREATE INDEX alerts_message ON alerts(message_id);

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            destination TEXT NOT NULL,
            alert_id INTEGER REFERENCES alerts(id),
            recipient TEXT,
            body TEXT,
            priority INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            created_at REAL NOT NULL,
            done_at REAL,
            last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox(destination, state, priority, id);
        CREATE INDEX outbox_alert ON outbox(alert_id);
        CREATE INDEX outbox_state ON outbox(state, destination);

        CREATE TABLE link_status (
            link TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            updated_at REAL NOT NULL
        );
        """
    )


@migrations()
def m004_focal_point_callsigns(db: Database) -> None:
    """Focal points on HF radio are known by callsign and may have no phone: the table gains an
    integer id, and phone and callsign become optional, unique identities (one at least)."""
    run_script(
        db,
        """
        CREATE TABLE focal_points_new (
            id INTEGER PRIMARY KEY,
            phone TEXT UNIQUE,
            callsign TEXT UNIQUE,
            name TEXT NOT NULL,
            village INTEGER,
            language TEXT,
            added_at REAL NOT NULL,
            CHECK (phone IS NOT NULL OR callsign IS NOT NULL)
        );
        INSERT INTO focal_points_new (phone, name, village, language, added_at)
            SELECT phone, name, village, language, added_at FROM focal_points ORDER BY added_at;
        DROP TABLE focal_points;
        ALTER TABLE focal_points_new RENAME TO focal_points

        """
    )


@migrations()
def m006_alerts_seen(db: Database) -> None:
    """When the base saw each alert (panel button or `cangw alerts seen`). Alerts stored before
    this migration count as seen, so an upgrade does not sound the buzzer for old news."""
    run_script(
        db,
        """
        CREATE TABLE alerts_seen (
            alert_id INTEGER PRIMARY KEY REFERENCES alerts(id),
            seen_at REAL NOT NULL,
            via TEXT NOT NULL
        );
        INSERT INTO alerts_seen (alert_id, seen_at, via)
            SELECT id, CAST(strftime('%s', 'now') AS REAL), 'upgrade' FROM alerts;
        CREATE INDEX alerts_severity ON alerts(severity, id);
        """
    )


@migrations()
def m003_calls(db: Database) -> None:
    """Alerts that cost the caller nothing: what a focal point's missed call means and whether
    they may key in a code during a call; who entered an alert heard by voice, and how."""
    run_script(
        db,
        """
        ALTER TABLE focal_points ADD COLUMN call_meaning TEXT;
        ALTER TABLE focal_points ADD COLUMN keypad INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN entered_by TEXT;
        ALTER TABLE alerts ADD COLUMN via TEXT;
        CREATE INDEX alerts_channel_sender ON alerts(channel, sender, received_at)
        """
    )


@migrations()
def m005_sbd(db: Database) -> None:
    """The satellite link: every SBD session (what it carried, what it cost, how it ended),
    which counts the day's credits, and every message headquarters sent (kept raw, with what
    became of it; the last accepted counter refuses replays)."""
    run_script(
        db,
        """
        CREATE TABLE sbd_sessions (
            id INTEGER PRIMARY KEY,
            started_at REAL NOT NULL,
            finished_at REAL NOT NULL,
            kind TEXT NOT NULL,
            bytes INTEGER NOT NULL DEFAULT 0,
            credits INTEGER NOT NULL DEFAULT 0,
            alerts INTEGER NOT NULL DEFAULT 0,
            mo_status INTEGER,
            momsn INTEGER,
            mt_status INTEGER,
            mtmsn INTEGER,
            mt_length INTEGER,
            mt_queued INTEGER,
            result TEXT NOT NULL
        );
        CREATE INDEX sbd_sessions_started ON sbd_sessions(started_at);

        CREATE TABLE sbd_commands (
            id INTEGER PRIMARY KEY,
            received_at REAL NOT NULL,
            mtmsn INTEGER,
            counter INTEGER,
            command TEXT,
            outcome TEXT NOT NULL,
            accepted INTEGER NOT NULL DEFAULT 0,
            raw TEXT NOT NULL
        )
        """
    )


@migrations()
def m007_lean_indexes(db: Database) -> None:
    """Fewer index pages per alert: every commit writes each page it touched, and an SD card
    wears by the bytes written. The outbox keeps only what its workers look up (the rows still
    to send, the failed ones); alerts lose the index by message, which nothing queries often,
    nor the one by channel and sender (a repeat is looked for among the recent alerts, which the
    index by time finds), and only the alarming ones (what the panel looks for) are indexed by
    severity; the HF link's frame budget finds its recent sends without reading every row
    ever sent."""
    run_script(
        db,
        """
        DROP INDEX IF EXISTS outbox_due;
        DROP INDEX IF EXISTS outbox_state;
        DROP INDEX IF EXISTS outbox_alert;
        DROP INDEX IF EXISTS alerts_message;
        DROP INDEX IF EXISTS alerts_channel_sender;
        CREATE INDEX outbox_pending ON outbox(destination, priority, id) WHERE state = 'pending';
        CREATE INDEX outbox_failed ON outbox(destination) WHERE state = 'failed';
        DROP INDEX IF EXISTS alerts_severity;
        CREATE INDEX alerts_alarming ON alerts(id)
            WHERE severity IN ('Extreme', 'Severe', 'Unknown');
        CREATE INDEX outbox_hf_done ON outbox(done_at) WHERE destination = 'hf' AND state = 'done'
        """
    )


@migrations()
def m008_console_users(db: Database) -> None:
    """The console's people and what they did: users with a role, a language and a scrypt
    password hash; an audit trail of every console action (who, when, what, on which record:
    record ids and alert references only, never a focal point's number or name)."""
    run_script(
        db,
        """
        CREATE TABLE console_users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin')),
            language TEXT NOT NULL DEFAULT 'fr',
            password TEXT NOT NULL,
            created_at REAL NOT NULL,
            changed_at REAL NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            user TEXT,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT,
            address TEXT
        )
        """
    )


@migrations()
def m009_sealed_identities(db: Database) -> None:
    """Identities sealed at rest (store/crypto.py): numbers, names, callsigns and texts are
    written sealed, so a look-up by sender goes through a keyed hash beside each (`*_key`);
    alerts keep the sender's pseudonym, which outlives the sender once retention has erased it
    (`erased_at`). The unique constraints on the sealed columns stay but no longer find
    anything (every sealing differs): the unique keys do their work. The rows already stored
    are sealed after this migration, in batches that survive an interruption (seal_rows.py)."""
    run_script(
        db,
        """
        ALTER TABLE focal_points ADD COLUMN phone_key BLOB;
        ALTER TABLE focal_points ADD COLUMN callsign_key BLOB;
        CREATE UNIQUE INDEX focal_points_phone_key ON focal_points(phone_key);
        CREATE UNIQUE INDEX focal_points_callsign_key ON focal_points(callsign_key);
        ALTER TABLE messages ADD COLUMN sender_key BLOB;
        ALTER TABLE messages ADD COLUMN erased_at REAL;
        ALTER TABLE sms_parts ADD COLUMN sender_key BLOB;
        DROP INDEX IF EXISTS sms_parts_open;
        CREATE INDEX sms_parts_open ON sms_parts(sender_key, concat_ref, total)
            WHERE message_id IS NULL;
        ALTER TABLE alerts ADD COLUMN sender_key BLOB;
        ALTER TABLE alerts ADD COLUMN pseudonym TEXT;
        ALTER TABLE alerts ADD COLUMN erased_at REAL
        """
    )


@migrations()
def m010_incidents(db: Database) -> None:
    """Incidents: the events alerts report, with who and how many confirm each, their state and
    every change to it; the senders' recent arrivals (flood control) and the messages folded
    into an earlier alert as exact repeats. An alert stored before incidents existed becomes
    an incident of its own, closed, so every alert is in exactly one."""
    run_script(
        db,
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            state TEXT NOT NULL,
            level TEXT NOT NULL DEFAULT 'single',
            category TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            severity TEXT NOT NULL,
            urgency TEXT NOT NULL,
            villages TEXT NOT NULL DEFAULT '[]',
            zone TEXT,
            first_at REAL NOT NULL,
            last_at REAL NOT NULL,
            first_report_at REAL,
            last_report_at REAL,
            reports INTEGER NOT NULL DEFAULT 0,
            repeats INTEGER NOT NULL DEFAULT 0,
            throttled INTEGER NOT NULL DEFAULT 0,
            senders INTEGER NOT NULL DEFAULT 0,
            registered_senders INTEGER NOT NULL DEFAULT 0,
            channels TEXT NOT NULL DEFAULT '[]',
            operator_confirmed INTEGER NOT NULL DEFAULT 0,
            by_hand INTEGER NOT NULL DEFAULT 0,
            merged_into INTEGER REFERENCES incidents(id),
            version INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            queued TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX incidents_open ON incidents(last_at)
            WHERE state IN ('open', 'seen', 'responding');

        CREATE TABLE incident_alerts (
            alert_id INTEGER PRIMARY KEY REFERENCES alerts(id),
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            at REAL NOT NULL,
            sender TEXT,
            throttled INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX incident_alerts_incident ON incident_alerts(incident_id, sender);

        CREATE TABLE incident_villages (
            village INTEGER NOT NULL,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            PRIMARY KEY (village, incident_id)
        );

        CREATE TABLE incident_changes (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            version INTEGER NOT NULL,
            at REAL NOT NULL,
            by TEXT NOT NULL,
            action TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX incident_changes_incident ON incident_changes(incident_id);

        CREATE TABLE sender_flow (
            sender TEXT PRIMARY KEY,
            arrivals TEXT NOT NULL DEFAULT '[]',
            last_at REAL,
            last_ack_at REAL
        );

        CREATE TABLE message_folds (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id),
            alert_id INTEGER NOT NULL REFERENCES alerts(id)
        );

        INSERT INTO incidents (id, uid, ref, state, category, categories, severity, urgency,
                villages, first_at, last_at, first_report_at, last_report_at, reports,
                senders, registered_senders, channels, created_at, updated_at)
            SELECT id, substr(uid, 1, length(uid) - length(CAST(seq AS TEXT))) || 'I' || id,
                substr(ref, 1, instr(ref, '-')) || 'I' || printf('%04d', id), 'closed',
                category, CASE WHEN category IS NULL THEN '[]' ELSE json_array(category) END,
                severity, urgency,
                CASE WHEN village_number IS NULL THEN '[]'
                     ELSE json_array(json_array(village_number, village_name)) END,
                received_at, received_at, received_at, received_at, 1,
                sender IS NOT NULL, registered AND sender IS NOT NULL, json_array(channel),
                created_at, created_at
            FROM alerts;
        INSERT INTO incident_alerts (alert_id, incident_id, at) SELECT id, id, received_at
            FROM alerts;
        INSERT INTO incident_villages (village, incident_id) SELECT village_number, id
            FROM alerts WHERE village_number IS NOT NULL;
        INSERT INTO incident_changes (incident_id, version, at, by, action, to_state, note)
            SELECT id, 1, CAST(strftime('%s', 'now') AS REAL), 'upgrade', 'closed', 'closed',
                'stored before incidents existed' FROM alerts
        """
    )


@migrations()
def m011_network(db: Database) -> None:
    """Who the network reaches: a focal point's gender and age group and a village's zone (all
    optional, never leaving the base per person); check-in schedules; when each village and
    focal point was last heard from; and the check-ins missed (the silence watch)."""
    run_script(
        db,
        """
        ALTER TABLE focal_points ADD COLUMN gender TEXT;
        ALTER TABLE focal_points ADD COLUMN age_group TEXT;
        ALTER TABLE focal_points ADD COLUMN checkin TEXT;
        ALTER TABLE villages ADD COLUMN zone TEXT;
        ALTER TABLE villages ADD COLUMN checkin TEXT;

        CREATE TABLE last_heard (
            kind TEXT NOT NULL,
            subject INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (kind, subject)
        );
        INSERT INTO last_heard (kind, subject, at)
            SELECT 'village', village_number, MAX(received_at) FROM alerts
            WHERE village_number IS NOT NULL GROUP BY village_number;
        INSERT INTO last_heard (kind, subject, at)
            SELECT 'focal', f.id, MAX(a.received_at) FROM alerts a
            JOIN focal_points f ON a.sender_key IN (f.phone_key, f.callsign_key)
                OR a.sender IN (f.phone, f.callsign) GROUP BY f.id;

        CREATE TABLE silences (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject INTEGER NOT NULL,
            village INTEGER,
            zone TEXT,
            due_at REAL NOT NULL,
            last_heard_at REAL,
            detected_at REAL NOT NULL,
            ended_at REAL,
            incident_id INTEGER REFERENCES incidents(id)
        );
        CREATE UNIQUE INDEX silences_open ON silences(kind, subject) WHERE ended_at IS NULL
        """
    )


@migrations()
def m012_outreach(db: Database) -> None:
    """The way back to the communities: groups of focal points, who stopped broadcasts (and
    every STOP and START), broadcasts with one row per recipient, follow-ups to the people who
    reported an incident the base acted on, every SMS part sent with a status report asked (its
    message reference and what the network said of it), replies to broadcasts; and which way a
    command from headquarters came (satellite or MQTT: one counter for both)."""
    run_script(
        db,
        """
        ALTER TABLE focal_points ADD COLUMN broadcasts_off_at REAL;
        ALTER TABLE sbd_commands ADD COLUMN via TEXT NOT NULL DEFAULT 'sbd';

        CREATE TABLE groups (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL
        );
        CREATE TABLE group_members (
            group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            focal_id INTEGER NOT NULL REFERENCES focal_points(id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, focal_id)
        );

        CREATE TABLE opt_changes (
            id INTEGER PRIMARY KEY,
            focal_id INTEGER NOT NULL,
            at REAL NOT NULL,
            action TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id),
            answered INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE broadcasts (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            target TEXT NOT NULL,
            template INTEGER,
            params TEXT NOT NULL DEFAULT '{}',
            text TEXT,
            languages TEXT NOT NULL DEFAULT '[]',
            texts TEXT NOT NULL DEFAULT '{}',
            origin TEXT NOT NULL,
            by TEXT NOT NULL,
            counter INTEGER,
            forced INTEGER NOT NULL DEFAULT 0,
            sms_parts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            cancelled_at REAL,
            settled_at REAL,
            summary_version INTEGER NOT NULL DEFAULT 0,
            summary TEXT NOT NULL DEFAULT '{}',
            summary_at REAL,
            summary_row INTEGER
        );
        CREATE INDEX broadcasts_live ON broadcasts(id) WHERE state != 'settled';

        CREATE TABLE broadcast_recipients (
            id INTEGER PRIMARY KEY,
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
            focal_id INTEGER NOT NULL,
            channel TEXT NOT NULL,
            language TEXT NOT NULL,
            outbox_id INTEGER REFERENCES outbox(id),
            parts INTEGER NOT NULL DEFAULT 1,
            state TEXT NOT NULL DEFAULT 'queued',
            reason TEXT,
            sent_at REAL,
            delivered_at REAL,
            updated_at REAL NOT NULL,
            UNIQUE (broadcast_id, focal_id)
        );
        CREATE INDEX broadcast_recipients_outbox ON broadcast_recipients(outbox_id);
        CREATE INDEX broadcast_recipients_focal ON broadcast_recipients(focal_id, sent_at);

        CREATE TABLE broadcast_replies (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id),
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
            recipient_id INTEGER NOT NULL REFERENCES broadcast_recipients(id),
            word TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX broadcast_replies_broadcast ON broadcast_replies(broadcast_id);

        CREATE TABLE follow_ups (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES incident_changes(id),
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            person TEXT NOT NULL,
            action TEXT NOT NULL,
            channel TEXT NOT NULL,
            outbox_id INTEGER REFERENCES outbox(id),
            parts INTEGER NOT NULL DEFAULT 1,
            state TEXT NOT NULL,
            reason TEXT,
            created_at REAL NOT NULL,
            sent_at REAL,
            delivered_at REAL,
            updated_at REAL NOT NULL,
            UNIQUE (change_id, person)
        );
        CREATE INDEX follow_ups_person ON follow_ups(person, created_at);
        CREATE INDEX follow_ups_outbox ON follow_ups(outbox_id);
        CREATE INDEX follow_ups_open ON follow_ups(id) WHERE state IN ('queued', 'sent');

        CREATE TABLE sent_parts (
            id INTEGER PRIMARY KEY,
            outbox_id INTEGER NOT NULL REFERENCES outbox(id),
            part INTEGER NOT NULL,
            reference INTEGER NOT NULL,
            sent_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            state TEXT NOT NULL,
            status INTEGER,
            report_at REAL
        );
        CREATE INDEX sent_parts_reference ON sent_parts(reference, id);
        CREATE INDEX sent_parts_outbox ON sent_parts(outbox_id);
        CREATE INDEX sent_parts_waiting ON sent_parts(expires_at) WHERE state IN ('sent', 'trying')
        """
    )


@migrations()
def m013_incident_versions(db: Database) -> None:
    """When each version of an incident was made: the `sent` of the CAP message that version
    is, which every later message of the incident names in its `references` (sender,
    identifier, sent). An incident stored before has its current version only: no earlier one
    was ever written as CAP. The incidents merged into one are found by an index (their
    messages are referenced too)."""
    run_script(
        db,
        """
        CREATE TABLE incident_versions (
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            version INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (incident_id, version)
        );
        INSERT INTO incident_versions (incident_id, version, at)
            SELECT id, version, updated_at FROM incidents;
        CREATE INDEX incidents_merged ON incidents(merged_into) WHERE merged_into IS NOT NULL
        """
    )


@migrations()
def m014_console_partners(db: Database) -> None:
    """The base console's `partner` role: another organisation's reader of the base's CAP
    feed, and of nothing else (as at headquarters). SQLite changes a CHECK only by building
    the table again; the users keep their ids, so open sessions and the audit trail hold."""
    run_script(
        db,
        """
        CREATE TABLE console_users_new (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin', 'partner')),
            language TEXT NOT NULL DEFAULT 'fr',
            password TEXT NOT NULL,
            created_at REAL NOT NULL,
            changed_at REAL NOT NULL
        );
        INSERT INTO console_users_new (id, name, role, language, password, created_at,
                changed_at)
            SELECT id, name, role, language, password, created_at, changed_at
            FROM console_users;
        DROP TABLE console_users;
        ALTER TABLE console_users_new RENAME TO console_users
        """
    )


@migrations()
def m015_alerts_received_villages(db: Database) -> None:
    """The network report counts each village's reports of the last 30 and 90 days: with the
    village in the index of the time received, that count reads the index alone instead of
    every alert row of three months (100,000 alerts: a page in tens of milliseconds, not
    hundreds). The index replaces the one on the time alone, which served only its prefix,
    so an alert still writes as many index entries."""
    run_script(
        db,
        """
        DROP INDEX alerts_received;
        CREATE INDEX alerts_received ON alerts(received_at, village_number)
        """
    )
