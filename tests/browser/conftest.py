"""Fixtures of the admin's browser journeys: one Chromium per test session, a staff
user logged in through the real login form, helpers that wait for what a user sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.driver import full_page_screenshot, start_chromium

PASSWORD = "a browser's password 42"


@pytest.fixture(scope="session")
def chromium(live_server: object) -> Iterator[object]:
    """One browser for the session. It depends on the live server so that it quits
    first: its keep-alive connections hold request threads (and their database
    connections) open until it does, and the test database must be dropped after."""
    # Each request thread of the live server closes its connection when the request
    # ends (persistent connections would outlive the threads and block the teardown).
    connections.settings[DEFAULT_DB_ALIAS]["CONN_MAX_AGE"] = 0
    driver = start_chromium()
    yield driver
    driver.quit()


class Browser:
    """The Chromium driven against the live server, with the waits journeys need."""

    def __init__(self, driver: object, base_url: str) -> None:
        self.driver, self.base_url = driver, base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str, timeout: float = 10) -> object:
        return WebDriverWait(self.driver, timeout).until(
            seen.visibility_of_element_located((By.CSS_SELECTOR, css))
        )

    def click_link(self, text: str) -> None:
        WebDriverWait(self.driver, 10).until(
            seen.element_to_be_clickable((By.LINK_TEXT, text))
        ).click()

    def wait_for_text(self, text: str, css: str = "body", timeout: float = 10) -> None:
        WebDriverWait(self.driver, timeout).until(
            seen.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
        )

    def shadow(self, css: str, timeout: float = 10) -> object:
        """The shadow root of the element (an embedded widget's own DOM)."""
        host = WebDriverWait(self.driver, timeout).until(
            seen.presence_of_element_located((By.CSS_SELECTOR, css))
        )
        return host.shadow_root

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        WebDriverWait(self.driver, timeout).until(lambda driver: condition())

    def text(self, css: str = "body") -> str:
        return self.find(css).text

    def set_value(self, css: str, value: str) -> None:
        """Set a field's value as if typed (long JSON typed key by key is slow)."""
        field = self.find(css)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            field, value,
        )  # fmt: skip

    def submit(self, css: str = "input[type=submit][name=_continue], input[type=submit]") -> None:
        self.find(css).click()

    def screenshot(self, name: str) -> None:
        full_page_screenshot(self.driver, name)

    def log_in(self, username: str) -> None:
        """Through the real login form, as a person would."""
        self.open("/admin/")
        self.find("input[name=username]").send_keys(username)
        self.find("input[name=password]").send_keys(PASSWORD)
        self.find("input[type=submit]").click()
        self.find("#user-tools")


@pytest.fixture
def browser(chromium: object, live_server: object) -> Iterator[Browser]:
    """The browser for one journey, which fails if any page broke the
    Content-Security-Policy (a blocked script is a feature that silently stopped)."""
    chromium.delete_all_cookies()
    chromium.get_log("browser")  # the previous journey's messages
    yield Browser(chromium, live_server.url)
    refused = [entry["message"] for entry in chromium.get_log("browser")
               if "Content Security Policy" in entry["message"]]  # fmt: skip
    assert not refused, f"the page broke its Content-Security-Policy: {refused}"


@pytest.fixture
def marketer(transactional_db: None) -> Callable[..., object]:
    """A staff superuser with a password, to log in as."""
    from tests.benchbarrier.factories import StaffFactory

    def make(username: str = "marketer", **kwargs: object) -> object:
        user = StaffFactory(username=username, email=f"{username}@example.com",
                            is_superuser=True, **kwargs)  # fmt: skip
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: object) -> Iterator[None]:
    """A failed journey leaves a screenshot of what the browser showed then."""
    outcome = yield
    report = outcome.get_result()
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(browser, Browser):
        browser.screenshot(f"FAILED-{item.name}")
