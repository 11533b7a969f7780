"""Headquarters' console in a real browser (Debian's chromium, driven by Selenium): the bases
page changes by itself when the collector stores a base's status, the map draws every base's
villages with no tiles and the silent base's ones ringed, each page fits a phone, a partner
lands on the CAP feed, and the browser asks nothing of any other origin. Screenshots go to
$CANGW_SCREENSHOTS (default bench/out/screenshots), named hq-*."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.sim.browser import Browser, find_chromium
from gateway.sim.console_run import ConsoleProcess
from tests.console.conftest import PASSWORD
from tests.console.hq_data import make_hq
from tests.console.test_browser import LAPTOP, PHONE, _shoot

PAGES = ("/bases", "/map", "/incidents", "/shared")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if find_chromium() is None:
        pytest.fail("chromium and chromium-driver are required (scripts/test installs them)")
    hq = make_hq(tmp_path_factory.mktemp("hq-browser"))
    with ConsoleProcess(hq.config, hq.url, hq=True) as console:
        browser = Browser(*LAPTOP)
        try:
            yield {"hq": hq, "browser": browser, "console": console}
        finally:
            browser.quit()


def _login(live, name: str) -> None:
    driver = live["browser"].driver
    driver.get(live["hq"].url + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def test_every_page_fits_a_phone_and_the_map_draws_each_bases_villages(live):
    browser, url = live["browser"], live["hq"].url
    driver = browser.driver
    _login(live, "officer")
    assert driver.current_url.endswith("/bases")
    for width, height, label in ((*LAPTOP, "laptop"), (*PHONE, "phone")):
        browser.resize(width, height)
        for path in PAGES:
            driver.get(url + path)
            if path == "/map":
                markers = WebDriverWait(driver, 10).until(lambda d: d.find_elements(
                    By.CSS_SELECTOR, "path.leaflet-interactive") if len(d.find_elements(
                        By.CSS_SELECTOR, "path.leaflet-interactive")) == 4 else None)
                ringed = [m for m in markers if m.get_attribute("stroke-dasharray")]
                assert len(ringed) == 2  # BNI's two villages: its base is silent
                assert not driver.find_elements(By.CSS_SELECTOR, ".leaflet-tile")
            assert browser.fits_width(), (label, path)
            _shoot(browser, f"hq-{path.strip('/')}-{label}")
    browser.resize(*LAPTOP)


def test_a_base_heard_again_turns_online_on_the_open_page_without_a_reload(live):
    driver, hq = live["browser"].driver, live["hq"]
    driver.get(hq.url + "/bases")
    assert "base-never-heard" in _row_class(driver, "GOM")
    driver.execute_script("window.notReloaded = true")
    hq.publish("GOM", "status", {"base": "GOM", "state": "online", "name": "Goma",
                                 "links": {"mqtt": {"state": "up"}}})
    WebDriverWait(driver, 10, poll_frequency=0.05).until(
        lambda d: "base-online" in _row_class(d, "GOM"))
    assert driver.execute_script("return window.notReloaded") is True
    assert "base-silent" in _row_class(driver, "BNI")


def _row_class(driver, base: str) -> str:
    """Read at once in the page (the panel may be swapped between two WebDriver calls)."""
    return driver.execute_script(
        f"var row = document.getElementById('base-{base}'); return row ? row.className : '';")


def test_a_partner_lands_on_the_feed_and_nothing_went_to_another_origin(live):
    browser, url = live["browser"], live["hq"].url
    driver = browser.driver
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _login(live, "partner")
    assert driver.current_url.endswith("/feed.atom")
    assert "urn:oasis:names:tc:emergency:cap:1.2" in driver.page_source
    driver.get(url + "/bases")
    assert browser.status_of(url + "/bases") == 403
    browser.collect()
    network = [u for u in browser.requests if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert len(network) > 20 and [u for u in network if not u.startswith(url + "/")] == []
