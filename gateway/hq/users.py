"""Who may connect to headquarters' NATS cluster, and what each one may touch.

Each base has its own user, `base-<ID>`, allowed to publish only under its own topics
(`can/v1/<ID>/...`, which NATS calls `can.v1.<ID>.>`) except its command topic, and to
subscribe only to its own command topic. Headquarters' programs have one user each: the
collector reads everything and sends commands, the satellite bridge publishes the alerts and
events it receives for any base, the admin sets up streams. Adding a base is one `[[base]]`
entry in the list this reads; `python -m gateway.hq.users` then writes a new `users.conf`.

Bases log in over MQTT, which carries only a user name and a password (no NATS nkey
challenge), so each user has a random password kept in its own file (`passwords/<user>`, mode
0600, handed to the base as `[mqtt] password_file`) and the server holds only its bcrypt hash.
A password file that already exists is kept: regenerating after adding a base changes no other
base's password; deleting a file and regenerating rotates that password.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from gateway.hq.config import BASE_ID

ACCOUNT = "CAN"
PREFIX = "can.v1"  # the MQTT topic prefix can/v1 as a NATS subject
MESSAGES_STREAM = "$MQTT_msgs"  # where NATS keeps every QoS 1 MQTT message (see streams.py)
PRODUCTION_COST = 11  # bcrypt rounds; each login costs the server one hash


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    publish_deny: tuple[str, ...] = ()

    def as_conf(self) -> dict:
        publish: dict[str, list[str]] = {"allow": list(self.publish)}
        if self.publish_deny:
            publish["deny"] = list(self.publish_deny)
        return {"publish": publish, "subscribe": {"allow": list(self.subscribe)}}


@dataclass(frozen=True)
class User:
    name: str
    permissions: Permissions | None  # None: anything in the account (the admin)


def base_user(base_id: str) -> User:
    if not BASE_ID.fullmatch(base_id):
        raise ValueError(f"base id {base_id!r}: expected 2 to 8 capital letters or digits")
    own = f"{PREFIX}.{base_id}"
    return User(f"base-{base_id}", Permissions(publish=(f"{own}.>",), publish_deny=(f"{own}.commands",),
                                               subscribe=(f"{own}.commands",)))


# A durable JetStream consumer on the messages stream: create, look up, fetch, acknowledge.
_MESSAGES_CONSUMER = ("$JS.API.INFO", f"$JS.API.STREAM.INFO.{MESSAGES_STREAM}",
                      f"$JS.API.CONSUMER.*.{MESSAGES_STREAM}", f"$JS.API.CONSUMER.*.{MESSAGES_STREAM}.>",
                      f"$JS.API.CONSUMER.DURABLE.CREATE.{MESSAGES_STREAM}.>",
                      f"$JS.API.CONSUMER.MSG.NEXT.{MESSAGES_STREAM}.>", f"$JS.ACK.{MESSAGES_STREAM}.>")

SERVICE_USERS = (
    # MQTT `can/v1/#` needs both `can.v1` and `can.v1.>`; `_INBOX.>` carries JetStream replies
    # a command goes into the messages stream itself, so a base that is away gets it (outgoing.py)
    User("hq-collector", Permissions(publish=(f"{PREFIX}.*.commands", f"$MQTT.msgs.{PREFIX}.*.commands",
                                              *_MESSAGES_CONSUMER),
                                     subscribe=(PREFIX, f"{PREFIX}.>", "_INBOX.>"))),
    User("hq-bridge", Permissions(publish=(f"{PREFIX}.*.alerts", f"{PREFIX}.*.events",
                                           f"{PREFIX}.*.incidents", f"{PREFIX}.hq-bridge.status"))),
    User("hq-admin", None),
)


def users_for(base_ids: list[str]) -> list[User]:
    if len(set(base_ids)) != len(base_ids):
        raise ValueError("a base id is listed twice")
    return [*SERVICE_USERS, *(base_user(base_id) for base_id in base_ids)]


def read_base_ids(path: Path) -> list[str]:
    """The `id` of each `[[base]]` in a TOML file (hq.toml, or a list of bases alone)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [str(entry["id"]) for entry in data.get("base", [])]


def password_file(folder: Path, user: str) -> Path:
    return folder / "passwords" / user


def write_users(base_ids: list[str], folder: Path, cost: int = PRODUCTION_COST) -> Path:
    """`folder/users.conf` (the accounts block every node includes) and a password file per user
    that has none yet; returns the users.conf path."""
    entries = []
    for user in users_for(base_ids):
        secret = password_file(folder, user.name)
        if not secret.exists():
            secret.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            secret.touch(mode=0o600)
            secret.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
        password = secret.read_text(encoding="utf-8").strip().encode()
        entry: dict[str, object] = {
            "user": user.name, "password": bcrypt.hashpw(password, bcrypt.gensalt(cost)).decode()}
        if user.permissions is not None:
            entry["permissions"] = user.permissions.as_conf()
        entries.append(entry)
    accounts = {"accounts": {ACCOUNT: {"jetstream": "enabled", "users": entries}}}
    target = folder / "users.conf"
    target.write_text("# Written by `python -m gateway.hq.users`: regenerate it rather than edit it.\n"
                      + json.dumps(accounts, indent=2) + "\n", encoding="utf-8")
    target.chmod(0o600)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.hq.users", description=__doc__.split("\n\n")[0])
    parser.add_argument("bases", type=Path, help="TOML file with one [[base]] id = \"...\" per base")
    parser.add_argument("folder", type=Path, help="where users.conf and passwords/ go (e.g. /etc/nats)")
    parser.add_argument("--cost", type=int, default=PRODUCTION_COST, help="bcrypt rounds")
    args = parser.parse_args(argv)
    base_ids = read_base_ids(args.bases)
    target = write_users(base_ids, args.folder, args.cost)
    print(f"{target}: {len(base_ids)} bases; passwords in {args.folder / 'passwords'}")


if __name__ == "__main__":
    main()
