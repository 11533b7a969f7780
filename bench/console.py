"""The duty console: how soon an alert shows in an open page, how long pages take on a big
store, what the first load weighs, and the console's memory.

Prints:
  (a) alert committed -> row visible in an open feed in headless Chromium: p50/p99 over 50
      alerts (target p99 < 500 ms);
  (b) server time per page (the answer's full round trip on loopback) with 100,000 alerts and
      5,000 focal points: the feed's first page, a page 1,000 pages deep (by key), a filtered
      page, the registry's first page, a deep registry page and a search, the incidents (open,
      every state, the one with most reports), the network page and the map's villages:
      p50/p99 over 30 requests each (target p99 < 300 ms);
  (c) the feed's first load in a fresh browser: bytes transferred and requests (target
      < 300 KB), and the map page's;
  (d) the console's resident memory idle and with 10 open live pages (target < 60 MB).

    .venv/bin/python bench/console.py [--alerts 100000] [--focal 5000] [--samples 50]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import httpx
from cli_growth import fill
from stats import percentile

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.model import Village
from gateway.sim.broker import free_port
from gateway.sim.browser import Browser
from gateway.sim.console_run import ConsoleProcess
from gateway.sim.harness import process_figure, query, write_config
from gateway.store import Store, users
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

HERE = Path(__file__).parent
PASSWORD = "benchmark password"
VILLAGES = [Village(12, "Kamango", (), 0.6385, 29.8773), Village(204, "Mutwanga", (), 0.3241, 29.7458),
            Village(31, "Nobili", (), 0.7040, 29.9722)]
# Records the moment each row appears in the feed, in the page's own clock (the same machine).
OBSERVER = """
window.arrivals = {};
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    change.addedNodes.forEach(function (node) {
      if (node.id) window.arrivals[node.id] = Date.now();
    });
  });
}).observe(document.getElementById('feed'), {childList: true});
"""


def make_base(folder: Path, alerts: int, focal: int) -> tuple[Path, str]:
    port = free_port()
    config = write_config(folder, mqtt_port=1883, extra=f"\n[console]\nport = {port}\n")
    with Store.open(folder / "gateway.db") as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        with store.transaction():
            for n in range(focal):
                reg.save_focal_point(store, reg.make_focal_point(
                    store, f"+2439905{n:05d}", f"Focal {n:05d} Kasereka", VILLAGES[n % 3].name,
                    "fr", "+243"))
        users.add_user(store, "officer", "officer", PASSWORD, "en")
    if alerts:
        fill(config, alerts)
    return config, f"http://127.0.0.1:{port}"


def login(url: str) -> httpx.Client:
    import re

    client = httpx.Client(base_url=url, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"name": "officer", "password": PASSWORD,
                                       "csrf": token}).status_code == 303
    return client


def browser_login(browser: Browser, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser.driver
    driver.get(url + "/login")
    driver.find_element(By.NAME, "name").send_keys("officer")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def latency(samples: int) -> list[float]:
    """Milliseconds from each alert's commit to its row in an open feed."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        config, url = make_base(Path(folder), 0, 10)
        with ConsoleProcess(config, url) as _console:
            browser = Browser()
            try:
                browser_login(browser, url)
                browser.driver.get(url + "/feed")
                time.sleep(1.0)  # the stream connects
                browser.driver.execute_script(OBSERVER)
                loaded = load_config(config)
                committed = {}
                with Store.open(loaded.store.path) as store:
                    pipeline = Pipeline(store, loaded, load_codebook())
                    for n in range(samples):
                        with store.transaction():
                            alert = pipeline.record_message(NewMessage(
                                "sms", f"+2439905{n % 10:05d}", f"2 Kamango {n}", time.time()))
                        committed[f"alert-{alert.id}"] = time.time() * 1000
                        time.sleep(0.25)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    arrivals = browser.driver.execute_script("return window.arrivals")
                    if len(arrivals) >= samples:
                        break
                    time.sleep(0.1)
                return [arrivals[key] - at for key, at in committed.items() if key in arrivals]
            finally:
                browser.quit()


def page_times(url: str, deep_alert: int, incident_ref: str, samples: int) -> dict[str, list[float]]:
    client = login(url)
    deep_name = client.get("/registry").text  # warm
    paths = {
        "feed, first page": "/feed",
        "feed, 1,000 pages deep": f"/feed?before={deep_alert}",
        "feed, Extreme only": "/feed?severity=Extreme",
        "registry, first page": "/registry",
        "registry, deep page": "/registry?after_name=Focal+04000+Kasereka&after_id=4001",
        "registry, search": "/registry?q=Focal+0449",
        "incidents, open": "/incidents",
        "incidents, every state": "/incidents?state=all",
        "one incident": f"/incidents/{incident_ref}",
        "network (silence, coverage)": "/network",
        "map's villages": "/map/villages.json",
    }
    del deep_name
    times: dict[str, list[float]] = {}
    for name, path in paths.items():
        client.get(path)
        spent = []
        for _ in range(samples):
            started = time.perf_counter()
            answer = client.get(path)
            spent.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
        times[name] = spent
    client.close()
    return times


def first_load(url: str) -> dict[str, tuple[int, int]]:
    """(bytes, requests) of a fresh browser's first visit: the login page, then the feed where
    the login lands (the scripts and styles are fetched once, for the login page); then the
    map."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser = Browser()
    try:
        driver = browser.driver
        driver.get(url + "/login")
        driver.find_element(By.NAME, "name").send_keys("officer")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        loads = {}
        driver.find_element(By.CSS_SELECTOR, "form.login button").click()
        WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/feed"))
        for path in ("/login then /feed", "/map"):
            if path == "/map":
                driver.get(url + path)
            time.sleep(2.0)
            browser.collect()
            mine = [size for address, size in browser.received if address.startswith(url)]
            loads[path] = (sum(mine), len(mine))
            browser.received.clear()
        return loads
    finally:
        browser.quit()


def memory(console: ConsoleProcess, url: str, pages: int) -> tuple[float, float]:
    """RSS in MB idle, then with `pages` live feeds open (each its own session)."""
    time.sleep(1.0)
    idle = process_figure(console.pid, "status", "VmRSS") / 1024
    clients = [login(url) for _ in range(pages)]
    opened = threading.Barrier(pages + 1)
    stop = threading.Event()

    def follow(client: httpx.Client) -> None:
        with client.stream("GET", "/feed/stream", timeout=None) as answer:
            opened.wait()
            for _ in answer.iter_lines():
                if stop.is_set():
                    return

    threads = [threading.Thread(target=follow, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    opened.wait()
    for client in clients:
        client.get("/feed")  # each page loaded once, as a browser would
    time.sleep(2.0)
    busy = process_figure(console.pid, "status", "VmRSS") / 1024
    stop.set()
    return idle, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--focal", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()

    arrivals = latency(args.samples)
    print(f"(a) commit -> visible in an open feed, {len(arrivals)} of {args.samples} alerts: "
          f"p50 {percentile(arrivals, 50):.0f} ms, p99 {percentile(arrivals, 99):.0f} ms, "
          f"max {max(arrivals):.0f} ms (target p99 < 500 ms)")

    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        started = time.monotonic()
        config, url = make_base(Path(folder), args.alerts, args.focal)
        print(f"    (store filled with {args.alerts:,} alerts and {args.focal:,} focal points in "
              f"{time.monotonic() - started:.0f} s)")
        with ConsoleProcess(config, url) as console:
            idle, busy = memory(console, url, 10)
            deep = max(1, args.alerts - 50 * 1000)
            (largest,), = query(Path(folder) / "gateway.db",  # the heaviest incident page
                                "SELECT ref FROM incidents ORDER BY reports DESC LIMIT 1")
            for name, spent in page_times(url, deep, largest, 30).items():
                print(f"(b) {name:<28} p50 {percentile(spent, 50):6.1f} ms   "
                      f"p99 {percentile(spent, 99):6.1f} ms (target p99 < 300 ms)")
            for path, (size, count) in first_load(url).items():
                print(f"(c) first load of {path}: {size / 1024:.0f} KB in {count} requests"
                      + (" (target < 300 KB)" if path != "/map" else ", after the feed"))
        print(f"(d) console RSS: idle {idle:.1f} MB, with 10 open live pages {busy:.1f} MB "
              "(target < 60 MB)")


if __name__ == "__main__":
    main()
