"""Who a broadcast reaches (target expressions over zones, groups, languages, channels), what it
costs (GSM-7 or UCS-2, single or concatenated), the daily budget, and what sending writes."""

from __future__ import annotations

import pytest

from gateway.alerts.codes import LANGUAGES
from gateway.alerts.text import gsm7_length
from gateway.gsm.sms_pdu import message_shape
from gateway.outreach import compose
from gateway.outreach.target import parse_target
from gateway.store import broadcasts as broadcast_store
from gateway.store import links
from tests.outreach.conftest import make_base


def reached(base, book, target, **kwargs) -> dict[str, tuple[str, str]]:
    """name -> (channel, language) of the recipients of `target`."""
    config, store = base
    seen = compose.preview(store, config, compose.draft(book, target, template=6, **kwargs))
    names = dict(store.db.execute("SELECT id, unseal(name) FROM focal_points").fetchall())
    return {names[r.member.focal_id]: (r.channel, r.language) for r in seen.audience.recipients}


@pytest.mark.parametrize(("target", "expected"), [
    ("zone:north", {"Kahindo Masika": ("sms", "fr"), "Baraka Mumbere": ("sms", "sw"),
                    "Grace Kavira": ("sms", "en"), "Radio Nobili": ("hf", "sw"),
                    "Furaha Sikuli": ("sms", "fr")}),
    ("zone:north AND group:chiefs", {"Kahindo Masika": ("sms", "fr"),
                                     "Grace Kavira": ("sms", "en")}),
    ("group:chiefs,women-leaders and language:fr", {"Kahindo Masika": ("sms", "fr"),
                                                     "Amani Kasereka": ("sms", "fr")}),
    ("village:Nobili AND channel:hf", {"Radio Nobili": ("hf", "sw")}),
    ("village:47", {"Amani Kasereka": ("sms", "fr")}),
    ("ZONE:North & language:sw", {"Baraka Mumbere": ("sms", "sw"), "Radio Nobili": ("hf", "sw")}),
])
def test_a_target_reaches_exactly_who_it_names_once_each(base, book, target, expected):
    assert reached(base, book, target) == expected


def test_all_reaches_everyone_but_who_sent_stop_and_says_how_many(base, book):
    config, store = base
    seen = compose.preview(store, config, compose.draft(book, "all", template=6))
    assert seen.recipients == 6 and seen.audience.stopped == 1
    assert seen.by_channel == {"sms": {"fr": 3, "sw": 1, "en": 1}, "hf": {"sw": 1}}
    assert "Muhindo Paluku" not in reached(base, book, "all")


def test_without_a_radio_the_hf_only_focal_points_are_unreachable(tmp_path, book):
    config, store = make_base(tmp_path)
    with store:
        seen = compose.preview(store, config, compose.draft(book, "zone:north", template=6))
        assert seen.audience.unreachable == 1 and "hf" not in seen.by_channel


@pytest.mark.parametrize(("target", "error"), [
    ("zone:nord", "no village is in zone 'nord'"),
    ("group:chefs", "no group 'chefs'"),
    ("village:Kamangu", "unknown village 'Kamangu'"),
])
def test_a_name_the_registry_does_not_know_is_an_error_not_an_empty_broadcast(base, book, target,
                                                                              error):
    config, store = base
    with pytest.raises(ValueError, match=error):
        compose.preview(store, config, compose.draft(book, target, template=6))


@pytest.mark.parametrize("text", ["", "zone", "zone:", "place:north", "language:ln",
                                  "channel:fax", "x" * 201, "zone:north OR group:chiefs"])
def test_a_malformed_target_is_refused(text):
    with pytest.raises(ValueError):
        parse_target(text)


def test_each_language_gets_its_text_and_the_sms_count_follows_the_alphabet(base, book):
    config, store = base
    seen = compose.preview(store, config, compose.draft(book, "zone:north AND channel:sms",
                                                         template=1, params={"place": "Kamango"}))
    assert {lang: m.text.split(":")[0] for lang, m in seen.messages.items()} == {
        "fr": "Alerte de la base", "sw": "Tahadhari kutoka kituo", "en": "Alert from the base"}
    assert all(m.encoding == "GSM-7" and m.parts == 1 for m in seen.messages.values())
    assert seen.sms == 4
    accented = compose.draft(book, "zone:north AND channel:sms", text="Réunion à Kamango ça "
                             "commence " + "demain " * 12)
    message = compose.preview(store, config, accented).messages["fr"]
    assert (message.encoding, message.parts) == ("UCS-2", 2)  # ç is not GSM-7: 70 a part


@pytest.mark.parametrize(("text", "shape"), [
    ("a" * 160, ("GSM-7", 1)), ("a" * 161, ("GSM-7", 2)), ("a" * 306, ("GSM-7", 2)),
    ("a" * 307, ("GSM-7", 3)), ("{" * 80, ("GSM-7", 1)), ("é" * 160, ("GSM-7", 1)),
    ("ç" * 70, ("UCS-2", 1)), ("ç" * 71, ("UCS-2", 2)), ("ç" * 134, ("UCS-2", 2)),
    ("ç" * 135, ("UCS-2", 3)),
])
def test_sms_count_single_and_concatenated(text, shape):
    assert message_shape(text) == shape


def test_the_cost_is_shown_against_the_last_known_balance(tmp_path, book):
    config, store = make_base(tmp_path, '\n[outreach]\nsms_cost = 25\n')
    with store:
        with store.transaction() as db:
            links.record(db, "credit", "ok", balance=1250.0, checked_at="2026-11-23T06:00:00Z")
        seen = compose.preview(store, config, compose.draft(book, "all", template=6))
        assert (seen.sms, seen.cost, seen.balance) == (5, 125.0, 1250.0)


def test_the_daily_budget_is_kept_unless_forced(tmp_path, book):
    config, store = make_base(tmp_path, '\n[outreach]\ndaily_sms_budget = 7\n')
    with store:
        first, seen = compose.send(store, config, compose.draft(book, "all", template=6), "duty",
                                   "cli")
        assert seen.sms == 5 and not first.forced
        again = compose.draft(book, "zone:north", template=6)
        assert compose.preview(store, config, again).over_budget
        with pytest.raises(compose.BudgetExceeded, match="over the budget of 7"):
            compose.send(store, config, again, "duty", "cli")
        assert len(broadcast_store.listing(store.db)) == 1  # nothing written
        forced, _ = compose.send(store, config, again, "admin", "cli", force=True)
        assert forced.forced


def test_sending_writes_one_recipient_and_one_message_each_and_the_hf_bulletin(base, book):
    config, store = base
    row, seen = compose.send(store, config, compose.draft(
        book, "zone:north", template=1, params={"place": "Kamango"}), "duty", "cli", now=1.8e9)
    assert (row.ref, row.state, row.origin, row.template) == ("KWJ-B0001", "sending", "cli", 1)
    recipients = broadcast_store.recipients(store.db, row.id)
    assert len(recipients) == 5 and len({r.focal_id for r in recipients}) == 5
    assert all(r.state == "queued" for r in recipients)
    sms = store.db.execute("SELECT unseal(recipient), unseal(body), priority FROM outbox"
                           " WHERE destination = 'sms' ORDER BY unseal(recipient)").fetchall()
    assert [number for number, _, _ in sms] == ["+243990000101", "+243990000102",
                                                "+243990000103", "+243990000106"]
    assert all(priority == compose.BROADCAST_PRIORITY for _, _, priority in sms)
    assert sms[1][1].startswith("Tahadhari") and sms[2][1].startswith("Alert from")
    frames = store.db.execute("SELECT unseal(recipient), unseal(body) FROM outbox"
                              " WHERE destination = 'hf'"
                              ).fetchall()
    assert frames == [("CAN", "KWJ-B0001 " + seen.messages["sw"].text)]


def test_a_long_bulletin_goes_as_several_frames_in_plain_ascii():
    frames = compose.hf_frames("KWJ-B0002", "Réunion " + "très importante " * 20)
    assert len(frames) == 2 and frames[0].startswith("KWJ-B0002 1/2 Reunion tres")
    assert all(len(f) <= compose.HF_FRAME and f.isascii() for f in frames)


def test_cancel_stops_what_has_not_left(base, book):
    config, store = base
    row, _ = compose.send(store, config, compose.draft(book, "all", template=6), "duty", "cli")
    first = store.db.execute("SELECT id FROM outbox WHERE destination = 'sms' ORDER BY id"
                             " LIMIT 1").fetchone()[0]
    with store.transaction() as db:  # the first one already left
        db.execute("UPDATE outbox SET state = 'done' WHERE id = ?", [first])
        db.execute("UPDATE broadcast_recipients SET state = 'sent' WHERE outbox_id = ?", [first])
    assert compose.cancel(store, row.id) == 5
    assert compose.cancel(store, row.id) == 0
    assert broadcast_store.counts(store.db, row.id) | {} == {
        "queued": 0, "sent": 1, "delivered": 0, "failed": 5, "expired": 0}
    assert store.db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone() == (0,)


@pytest.mark.parametrize("wrong", [
    {"template": None}, {"template": 1, "text": "both"}, {"template": 99},
    {"template": 1}, {"template": 1, "params": {"place": "K", "time": "9h"}},
    {"template": None, "text": "x" * 700}, {"template": 6, "languages": ["ln"]},
])
def test_a_draft_says_what_is_wrong(book, wrong):
    with pytest.raises(ValueError):
        compose.draft(book, "all", **wrong)


def test_every_template_and_follow_up_is_gsm7_and_one_sms_in_every_language(book):
    values = {"place": "Kasindi Port Ville", "time": "samedi 14h"}
    for template in book.templates.values():
        for language in LANGUAGES:
            text = template.render(language, {p: values[p] for p in template.params})
            assert gsm7_length(text) is not None and message_shape(text) == ("GSM-7", 1), text
    for action in ("respond", "close", "false-alarm"):
        for language in LANGUAGES:
            text = book.follow_up(action, language, "KWJ-0193", "Kasindi Port Ville")
            assert message_shape(text) == ("GSM-7", 1), text
    for kind in ("stop", "start"):
        assert all(message_shape(t)[0] == "GSM-7" for t in book.replies[kind].values())
    assert book.keyword("stop") == ("stop", "en") and book.keyword(" Arrêt! ") == ("stop", "fr")
    assert book.keyword("anza") == ("start", "sw") and book.keyword("stop please") is None


