"""A headless Chromium driven by Selenium, for the console's tests and benchmarks: Debian's
`chromium` and `chromium-driver`, a fresh profile, nothing that talks to the internet on its
own, and the performance log on (to list every request the page made)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--autoplay-policy=no-user-gesture-required")


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when Debian's chromium and chromium-driver are missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


class Browser:
    """One Chromium with its own throw-away profile; `quit()` ends it and its driver."""

    def __init__(self, width: int = 1280, height: int = 900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        found = find_chromium()
        if found is None:
            raise RuntimeError("chromium and chromium-driver are needed (apt-get install chromium "
                               "chromium-driver; scripts/test installs them)")
        self.profile = Path(tempfile.mkdtemp(prefix="cangw-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = found[0]
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(found[1]), options=options)
        self.requests: list[str] = []
        self.statuses: dict[str, int] = {}
        self.received: list[tuple[str, int]] = []  # (url, bytes over the wire)
        self._urls: dict[str, str] = {}

    def collect(self) -> None:
        """Read the performance log so far into `requests` (every URL asked for), `statuses`
        and `received` (each response's URL and size); the log empties on each read."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
                self._urls[params["requestId"]] = params["request"]["url"]
            elif message.get("method") == "Network.responseReceived":
                self.statuses[params["response"]["url"]] = int(params["response"]["status"])
            elif message.get("method") == "Network.loadingFinished":
                self.received.append((self._urls.get(params["requestId"], ""),
                                      int(params["encodedDataLength"])))

    def status_of(self, url: str) -> int | None:
        """The HTTP status of the last answer to `url`."""
        self.collect()
        return self.statuses.get(url)

    def resize(self, width: int, height: int) -> None:
        self.driver.set_window_size(width, height)

    def fits_width(self) -> bool:
        """Nothing sticks out sideways (no horizontal scrolling at this width)."""
        return bool(self.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"))

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
