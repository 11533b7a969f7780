"""The console in a real browser (Debian's chromium, driven by Selenium) against the real
daemon, the simulated modem and a real mosquitto: log in, watch an SMS arrive live, mark it
seen and see headquarters told, the officer's limits, CSRF, an incident marked seen and
published, a broadcast that reaches exactly its recipients, a phone's width, no request
anywhere but the console, and last the admin's emergency wipe, which the daemon finishes.
Screenshots of each page at laptop and phone width go to $CANGW_SCREENSHOTS (default
bench/out/screenshots)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.sim.broker import free_port
from gateway.sim.browser import Browser, find_chromium
from gateway.sim.console_run import ConsoleProcess
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    query,
    wait_for,
    wait_until_gsm_up,
    write_config,
)
from gateway.store import Store, users
from gateway.store import registry as reg
from tests.console.conftest import FOCAL, PASSWORD, UNKNOWN, VILLAGES

SHOTS = Path(os.environ.get("CANGW_SCREENSHOTS", "bench/out/screenshots"))
LAPTOP, PHONE = (1280, 900), (360, 740)
PAGES = ("/feed", "/alerts/KWJ-0001", "/map", "/voice", "/registry", "/health", "/incidents",
         "/incidents/KWJ-I0001", "/broadcasts", "/broadcasts/new", "/network")
SHOT_NAMES = {"/incidents/KWJ-I0001": "incident", "/broadcasts/new": "broadcast-new"}


@pytest.fixture(scope="module")
def live(tmp_path_factory, request):
    if find_chromium() is None:
        pytest.fail("chromium and chromium-driver are required (scripts/test installs them)")
    folder = tmp_path_factory.mktemp("browser")
    broker = request.getfixturevalue("broker_module")
    modem = request.getfixturevalue("modem_module")
    port = free_port()
    config = write_config(folder, modem.path, broker.port, extra=f"\n[console]\nport = {port}\n")
    with Store.open(folder / "gateway.db") as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        for phone, name, village in FOCAL:
            reg.save_focal_point(store, reg.make_focal_point(store, phone, name, village, "fr", "+243"))
        users.add_user(store, "duty", "officer", PASSWORD, "fr")
        users.add_user(store, "chief", "admin", PASSWORD, "en")
    hq = MqttListener(broker.port, "can/v1/KWJ/#")
    daemon = DaemonProcess(config).start()
    console = ConsoleProcess(config, f"http://127.0.0.1:{port}", log_level="DEBUG").start()
    browser = Browser(*LAPTOP)
    try:
        wait_until_gsm_up(folder / "gateway.db", daemon)
        yield {"url": console.url, "db": folder / "gateway.db", "modem": modem, "hq": hq,
               "browser": browser, "console": console, "daemon": daemon}
    finally:
        browser.quit()
        console.stop()
        daemon.stop()
        hq.close()


@pytest.fixture(scope="module")
def broker_module():
    from gateway.sim.broker import Broker
    with Broker() as running:
        yield running


@pytest.fixture(scope="module")
def modem_module():
    from gateway.sim.gsm_modem import SimulatedModem
    with SimulatedModem() as sim:
        yield sim


def _login(live, name: str) -> None:
    driver = live["browser"].driver
    driver.get(live["url"] + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def _logout(live) -> None:
    live["browser"].driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()


def _alert_committed(db: Path, ref: str) -> float:
    rows = query(db, "SELECT created_at FROM alerts WHERE ref = ?", [ref])
    return rows[0][0] if rows else 0.0


def _shoot(browser: Browser, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_an_sms_appears_in_the_open_feed_within_a_second_and_marking_it_seen_tells_hq(live):
    driver, modem = live["browser"].driver, live["modem"]
    _login(live, "duty")
    driver.get(live["url"] + "/feed")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "return document.getElementById('live-state') !== null"))
    driver.execute_script("window.notReloaded = true")
    driver.execute_script(  # count the tones the page plays
        "window.tones = 0; const start = OscillatorNode.prototype.start;"
        "OscillatorNode.prototype.start = function () { window.tones += 1;"
        " return start.apply(this, arguments); };")
    sound = driver.find_element(By.ID, "sound")
    sound.click()
    assert sound.get_attribute("aria-pressed") == "true"
    armed = driver.execute_script("return window.tones")
    assert armed == 3  # arming plays the three tones once
    time.sleep(0.3)  # the event stream connects
    modem.inject_sms(FOCAL[0][0], "alerte 2 kamango 15 hommes armés")
    row = WebDriverWait(driver, 15, poll_frequency=0.01).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#feed .alert .ref"))[0]
    shown_at = time.time()
    assert row.text == "KWJ-0001"
    committed = wait_for(lambda: _alert_committed(live["db"], "KWJ-0001"), what="the alert")
    assert shown_at - committed < 1.0, f"shown {shown_at - committed:.3f} s after its commit"
    assert driver.execute_script("return window.notReloaded") is True
    article = driver.find_element(By.CSS_SELECTOR, "#feed .alert")
    assert "sev-Extreme" in article.get_attribute("class")
    assert "+243 99• ••• •01" in article.text and FOCAL[0][0] not in driver.page_source
    assert FOCAL[0][1] in article.text

    assert driver.execute_script("return window.tones") == 2 * armed  # the Extreme one beeped

    modem.inject_sms(UNKNOWN, "on entend des bruits bizarres vers la rivière")
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lane .alert"))
    assert "bruits bizarres" in driver.find_element(By.ID, "lane").text
    assert driver.execute_script("return window.tones") == 2 * armed  # an unparsed one does not

    row_id = article.get_attribute("id")
    article.find_element(By.CSS_SELECTOR, ".seen-button").click()
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "✓" in d.find_element(By.ID, row_id).text)
    event = wait_for(lambda: [e for e in live["hq"].json_on("/events") if e["ref"] == "KWJ-0001"],
                     what="the seen event on MQTT")[0]
    assert event["event"] == "seen" and event["via"] == "console"
    _shoot(live["browser"], "feed-laptop")


def test_the_officer_sees_no_full_number_and_gets_403_on_admin_pages(live):
    browser = live["browser"]
    driver = browser.driver
    for path in ("/feed", "/registry", "/alerts/KWJ-0001"):
        driver.get(live["url"] + path)
        assert FOCAL[0][0] not in driver.page_source and FOCAL[1][0] not in driver.page_source
    for path in ("/audit", "/registry/focal/1", "/registry/import"):
        driver.get(live["url"] + path)
        assert browser.status_of(live["url"] + path) == 403, path
    status = driver.execute_async_script(
        "const done = arguments[0];"
        "fetch('/alerts/KWJ-0002/seen', {method: 'POST'}).then(r => done(r.status));")
    assert status == 403
    token = driver.find_element(By.CSS_SELECTOR, "meta[name='csrf-token']").get_attribute("content")
    status = driver.execute_async_script(
        "const done = arguments[1];"
        "fetch('/alerts/KWJ-0002/seen', {method: 'POST', headers: {'X-CSRF-Token': arguments[0]}})"
        ".then(r => done(r.status));", token)
    assert status == 200


def test_a_voice_alert_typed_in_the_form_is_stored_and_shown(live):
    driver = live["browser"].driver
    driver.get(live["url"] + "/voice")
    driver.find_element(By.CSS_SELECTOR, "select[name='code'] option[value='1']").click()
    driver.find_element(By.CSS_SELECTOR, "select[name='village'] option[value='31']").click()
    driver.find_element(By.NAME, "note").send_keys("six hommes armés vus au marché")
    _shoot(live["browser"], "voice-laptop")
    driver.find_element(By.CSS_SELECTOR, "form.form button").click()
    WebDriverWait(driver, 10).until(lambda d: "/alerts/KWJ-" in d.current_url)
    ref = driver.current_url.rsplit("/", 1)[1]
    assert query(live["db"], "SELECT entered_by, via, village_name FROM alerts WHERE ref = ?",
                 [ref]) == [("duty", "radio", "Nobili")]


def test_an_incident_marked_seen_in_the_page_is_published_on_mqtt(live):
    driver = live["browser"].driver
    driver.get(live["url"] + "/incidents")
    driver.find_element(By.LINK_TEXT, "KWJ-I0001").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "action-seen"))
    assert "Kahindo Masika" in driver.page_source and FOCAL[0][0] not in driver.page_source
    status = driver.execute_async_script(  # without the page's token: refused
        "const done = arguments[0]; fetch('/incidents/KWJ-I0001/state', {method: 'POST',"
        " headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
        " body: 'action=seen'}).then(r => done(r.status));")
    assert status == 403
    driver.find_element(By.CSS_SELECTOR, "#state-form input[name='note']").send_keys(
        "patrouille prévenue")
    driver.find_element(By.ID, "action-seen").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "incident-state").text == "vu")
    event = wait_for(lambda: [e for e in live["hq"].json_on("/incidents")
                              if e["ref"] == "KWJ-I0001" and e["state"] == "seen"],
                     what="the incident seen on MQTT")[0]
    assert event["change"]["by"] == "duty" and event["change"]["note"] == "patrouille prévenue"


def test_a_broadcast_sent_from_the_page_reaches_exactly_the_chosen_recipients(live):
    driver, modem = live["browser"].driver, live["modem"]
    driver.get(live["url"] + "/broadcasts/new")
    driver.find_element(By.CSS_SELECTOR, "select[name='template'] option[value='1']").click()
    driver.find_element(By.NAME, "param.place").send_keys("Kamango")
    driver.find_element(By.CSS_SELECTOR, "input[name='village'][value='12']").click()
    driver.find_element(By.ID, "preview-button").click()
    count = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "preview-count"))[0]
    assert count.text.startswith("1")
    preview = driver.find_element(By.ID, "preview-recipients").text
    assert FOCAL[0][1] in preview and "+243 99• ••• •01" in preview and FOCAL[1][1] not in preview
    _shoot(live["browser"], "broadcast-preview-laptop")
    driver.find_element(By.ID, "send-button").click()
    WebDriverWait(driver, 10).until(lambda d: "/broadcasts/KWJ-B" in d.current_url)
    driver.execute_script("window.notReloaded = true")
    WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#delivery td[data-state='delivered']").text
        == "1")  # the panel follows the status report by itself
    assert driver.execute_script("return window.notReloaded") is True
    WebDriverWait(driver, 10).until(  # every state final: the panel stops asking
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#delivery[hx-get]"))
    sent = [m for m in modem.sent if "groupe arme se dirige vers Kamango" in m.text]
    assert [m.number for m in sent] == [FOCAL[0][0]]
    _shoot(live["browser"], "broadcast-laptop")


def test_every_page_fits_a_phone_and_the_map_draws_villages_without_tiles(live):
    browser = live["browser"]
    driver = browser.driver
    for width, height, label in ((*LAPTOP, "laptop"), (*PHONE, "phone")):
        browser.resize(width, height)
        for path in PAGES:
            driver.get(live["url"] + path)
            if path == "/map":
                WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(
                    By.CSS_SELECTOR, ".leaflet-interactive")) == len(VILLAGES))
                assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-control-scale")
                assert not driver.find_elements(By.CSS_SELECTOR, ".leaflet-tile")
            assert browser.fits_width(), (label, path)
            _shoot(browser, f"{SHOT_NAMES.get(path, path.strip('/').split('/')[0])}-{label}")
    browser.resize(*LAPTOP)


def test_the_admin_sees_full_numbers_and_the_browser_asked_nothing_of_any_other_origin(live):
    browser = live["browser"]
    _logout(live)
    _login(live, "chief")
    browser.driver.get(live["url"] + "/registry")
    assert FOCAL[0][0] in browser.driver.page_source
    _shoot(browser, "registry-admin-laptop")
    browser.driver.get(live["url"] + "/audit")
    _shoot(browser, "audit-laptop")
    browser.collect()
    network = [u for u in browser.requests if u.startswith(("http:", "https:", "ws:", "wss:"))]
    outside = [u for u in network if not u.startswith(live["url"] + "/")]
    assert len(network) > 20 and outside == []
    log = live["console"].log
    for phone, name, _ in FOCAL:
        assert phone not in log and phone[4:] not in log and name not in log


def test_the_admin_wipes_the_gateway_from_the_form_and_the_daemon_finishes(live):
    """Last in this module: it destroys the base the others use."""
    browser = live["browser"]
    driver = browser.driver
    driver.get(live["url"] + "/login")
    driver.delete_all_cookies()  # whoever the test before left signed in, the admin signs in
    _login(live, "chief")
    for width, height, label in ((*LAPTOP, "laptop"), (*PHONE, "phone")):
        browser.resize(width, height)
        driver.get(live["url"] + "/admin/wipe")
        assert browser.fits_width(), label
        _shoot(browser, f"wipe-{label}")
    browser.resize(*LAPTOP)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.NAME, "base_id").send_keys("KWJ")
    driver.find_element(By.CSS_SELECTOR, "form.wipe button").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "wipe-state"))
    assert not live["db"].exists() and not live["db"].with_suffix(".key").exists()
    assert live["daemon"].process.wait(60) == 78  # it noticed, finished the wipe and stopped
    journal = json.loads(live["db"].with_name("gateway.db.wiped").read_text())
    assert journal["state"] == "done" and journal["trigger"] == "console"
    assert journal["steps"]["sim"].startswith("SMS deleted from") and "mqtt" in journal["steps"]
    event = wait_for(lambda: [e for e in live["hq"].json_on("/events") if e.get("event") == "wiped"],
                     what="the wiped event on MQTT")[0]
    assert event["trigger"] == "console" and set(event) == {"schema", "event", "base", "time",
                                                             "trigger"}
    WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.ID, "wipe-state").text not in ("under way…", "en cours…"))
    # (the page follows the journal to the end by itself, swapping the element as it goes)
    _shoot(browser, "wiped-laptop")
    driver.get(live["url"] + "/feed")
    assert browser.status_of(live["url"] + "/feed") == 410
    assert FOCAL[0][1] not in driver.page_source and "hommes armés" not in driver.page_source
