"""A real browser (Debian's chromium driven by Playwright) against the live test server.

Every test fails if the page logged a JavaScript error or a failed request it did not expect, and
if the browser refused anything under the Content-Security-Policy (every setting sends it)."""

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-battery"


CSP_REFUSALS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


@pytest.fixture
def csp_violations():
    """What the browser refused under the Content-Security-Policy, from its console (any level):
    the test fails at its end unless there was nothing, so every journey checks the policy."""
    refused: list[str] = []
    yield refused
    assert refused == [], "the Content-Security-Policy refused: " + "; ".join(refused)


@pytest.fixture
def provoked_errors() -> list[str]:
    """Console errors a journey provokes on purpose, by a part of their text: a test that makes the
    server fail says `provoked_errors.append("500")`."""
    return []


@pytest.fixture
def page(transactional_db, live_server, monkeypatch, csp_violations, provoked_errors):
    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls are plain setup code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                any(text in message.text for text in CSP_REFUSALS)
                and csp_violations.append(f"{message.text} (on {message.location.get('url')})")
            ),
        )
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and not _expected(message.text)
                and not any(text in message.text for text in provoked_errors)
                and errors.append(message.text)
            ),
        )
        yield page
        browser.close()
        # ORM calls made under Playwright's event loop opened their own connection: close it, or
        # the test database cannot be dropped at the end of the run.
        connections.close_all()
        assert errors == []


def _expected(console_error: str) -> bool:
    """Chromium logs a refused form (422) as a failed load; for us it is the validation message.
    A CSP refusal is counted once, by `csp_violations`."""
    return "status of 422" in console_error or any(text in console_error for text in CSP_REFUSALS)


@pytest.fixture
def sign_in(page):
    """Sign in through the form, as a person would: `sign_in("marco")`."""

    def sign_in_as(username: str) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        expect(page.locator("h1")).to_be_visible()

    return sign_in_as


@pytest.fixture
def pick(page):
    """Choose in an autocomplete picker (qms/pickers.py) as a person does: click it, type part of
    the name, wait for it among the choices, press Enter. `pick("#id_owner", "Anna Berg")`."""

    def choose(select: str, text: str, *, typed: str | None = None) -> None:
        page.locator(f"{select} + .ts-wrapper .ts-control").click()
        expect(page.locator(f"{select}-ts-control")).to_be_focused()
        page.keyboard.type(typed or text)
        expect(page.locator(f"{select}-ts-dropdown [role=option]", has_text=text).first).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator(f"{select} option:checked", has_text=text)).to_have_count(1)
        page.keyboard.press("Escape")
        expect(page.locator(f"{select}-ts-dropdown")).to_be_hidden()  # it no longer covers what is below

    return choose
