"""tests/console: a real headless Chromium, driven by Selenium, against the local stack served over real
HTTP on 127.0.0.1 (the e2e fixtures). The browser is Debian's `chromium` with its `chromium-driver`:
found on PATH, or installed here with apt-get when running as root (as CI does on a fresh machine).
Nothing is downloaded by Selenium itself (Selenium Manager is never asked: both paths are given)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

INSTALL_TIMEOUT_SECONDS = 600
WAIT_SECONDS = 15
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
DRIVER_FALLBACKS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _which(names: tuple[str, ...], fallbacks: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in fallbacks if os.access(path, os.X_OK)), None)


def find_browser() -> tuple[str, str] | None:
    browser, driver = _which(BROWSERS), _which(DRIVERS, DRIVER_FALLBACKS)
    return (browser, driver) if browser and driver else None


def install_browser() -> str | None:
    """apt-get install chromium chromium-driver, bounded in time. None when it worked, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get can't install it"
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    deadline = time.monotonic() + INSTALL_TIMEOUT_SECONDS
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"])
    for command in steps:
        left = deadline - time.monotonic()
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            return f"`{' '.join(command)}` took longer than {INSTALL_TIMEOUT_SECONDS} s"
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """(browser, chromedriver) paths: on PATH, or installed now; otherwise the console tests skip."""
    found = find_browser()
    if found is None:
        why = install_browser()
        found = find_browser()
        if found is None:
            reason = why or "apt-get installed chromium but no chromium/chromedriver is on PATH"
            pytest.skip(
                "CONSOLE TESTS SKIPPED: no headless Chromium. Install Debian's `chromium` and "
                f"`chromium-driver` (apt-get install -y chromium chromium-driver): {reason}"
            )
    return found


WebDriver = webdriver.Chrome
Browser = Callable[..., WebDriver]


class Browsers:
    """The worker's headless Chromiums, started as tests first need them and handed out again: starting
    one (Chromium and its chromedriver) is ~1 s of CPU, and tests/console asks for one about 17 times.
    Each is handed out as a new profile would be: one fresh window (its own sessionStorage), no cookies,
    no cache, no storage of the origins it was on, its log read empty, its downloads in the test's own
    folder, the test's window size; a browser that fails its reset is closed and replaced."""

    def __init__(self, binary: str, driver_path: str, logs: Path) -> None:
        self._binary, self._driver_path, self._logs = binary, driver_path, logs
        self._idle: list[WebDriver] = []
        self._all: list[WebDriver] = []

    def take(self, width: int, height: int, downloads: Path) -> WebDriver:
        downloads.mkdir()
        while self._idle:
            driver = self._idle.pop()
            try:
                self._reset(driver, width, height, downloads)
                return driver
            except Exception:  # a browser that died or hung is replaced, not reused
                self._quit(driver)
        driver = self._start(width, height, downloads)
        self._all.append(driver)
        return driver

    def give_back(self, driver: WebDriver) -> None:
        try:  # what the test's pages stored, while their windows still say which origins they were
            origins = set()
            for handle in driver.window_handles:
                driver.switch_to.window(handle)
                origin = driver.execute_script("return location.origin")
                if isinstance(origin, str) and origin.startswith("http"):
                    origins.add(origin)
            for origin in origins:
                cleared = {"origin": origin, "storageTypes": "all"}
                driver.execute_cdp_cmd("Storage.clearDataForOrigin", cleared)
        except Exception:
            self._quit(driver)
            return
        self._idle.append(driver)

    def close(self) -> None:
        for driver in self._all:
            self._quit(driver)

    def _quit(self, driver: WebDriver) -> None:
        with contextlib.suppress(Exception):  # a browser that already died is closed enough
            driver.quit()

    def _reset(self, driver: WebDriver, width: int, height: int, downloads: Path) -> None:
        driver.switch_to.new_window("window")
        fresh = driver.current_window_handle
        for handle in driver.window_handles:
            if handle != fresh:
                driver.switch_to.window(handle)
                driver.close()
        driver.switch_to.window(fresh)
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.get_log("browser")  # type: ignore[no-untyped-call]  # the last test's, read and gone
        self._size(driver, width, height, downloads)

    def _start(self, width: int, height: int, downloads: Path) -> WebDriver:
        number = len(self._all)
        options = webdriver.ChromeOptions()
        options.binary_location = self._binary
        for argument in (
            "--headless=new",
            "--no-sandbox",  # root in a container
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--lang=en-US",
            f"--user-data-dir={self._logs / f'profile-{number}'}",
        ):
            options.add_argument(argument)
        options.add_experimental_option(
            "prefs", {"download.prompt_for_download": False, "safebrowsing.enabled": False}
        )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(
            executable_path=self._driver_path, log_output=str(self._logs / f"chromedriver-{number}.log")
        )
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.set_script_timeout(WAIT_SECONDS)
        self._size(driver, width, height, downloads)
        return driver

    def _size(self, driver: WebDriver, width: int, height: int, downloads: Path) -> None:
        driver.set_window_size(width, height)
        if width < 500:  # below Chromium's smallest window: emulate a phone's viewport instead
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        behavior = {"behavior": "allow", "downloadPath": str(downloads)}
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", behavior)
        driver.downloads = downloads  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browsers(chromium: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsers]:
    pool = Browsers(*chromium, tmp_path_factory.mktemp("chromium"))
    yield pool
    pool.close()


@pytest.fixture
def browser(browsers: Browsers, tmp_path: Path) -> Iterator[Browser]:
    """A factory of headless Chromium sessions; each is as a browser profile of its own (its own
    sessionStorage), like two people at two machines. All are handed back after the test."""
    taken: list[WebDriver] = []

    def make(width: int = 1280, height: int = 900) -> WebDriver:
        driver = browsers.take(width, height, tmp_path / f"downloads-{len(taken)}")
        taken.append(driver)
        return driver

    yield make
    for driver in taken:
        browsers.give_back(driver)
