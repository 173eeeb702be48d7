"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server answers from another thread, so these tests run on a transactional database
and create their data inside their fixtures (a `db` rollback would hide it from the server).
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student
from tests.factories import (
    PASSWORD,
    FamilyFactory,
    SchoolYearFactory,
    SiteFactory,
    StudentFactory,
)

# Playwright's sync API keeps an asyncio loop running in the test thread; Django would then
# refuse the ORM calls the tests make (factories, refresh_from_db) in that same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
# Colours of portal.css: the page (--bg), the cards and inputs, the required fields (--required).
PAGE_BACKGROUND = "rgb(244, 246, 249)"
WHITE = "rgb(255, 255, 255)"
REQUIRED_BACKGROUND = "rgb(255, 246, 194)"
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

_axe = Axe()
# Generous waits: a loaded CI machine may take seconds to hash a password or render a page.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is now."""
    violations = _axe.run(page, options=WCAG_21_AA).response["violations"]
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['id']}: {violation['help']} -> {targets}")
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(lines)


def assert_no_horizontal_scroll(page: Page) -> None:
    """Nothing sticks out to the right: the page never scrolls sideways on a phone."""
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, (
        f"{page.url} is {scroll_width} px wide in a {inner_width} px window"
    )


def contrast(color_a: str, color_b: str) -> float:
    """WCAG contrast ratio of two CSS colours given as "rgb(r, g, b)"."""

    def luminance(color: str) -> float:
        channels = [int(value) / 255 for value in re.findall(r"\d+", color)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    darker, lighter = sorted((luminance(color_a), luminance(color_b)))
    return (lighter + 0.05) / (darker + 0.05)


def assert_visible_focus(page: Page, background: str) -> None:
    """The focused element has a ring of at least 3:1 against what surrounds it (WCAG 1.4.11)."""
    style, color = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor]; })()"
    )
    assert style != "none", "the focused element shows no focus ring"
    assert contrast(color, background) >= 3, f"focus ring {color} is faint on {background}"


def check_page(page: Page) -> None:
    """Both checks every journey runs on every page it reaches, once its stylesheet applies."""
    page.wait_for_load_state("load")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)


def save_screenshot(page: Page, name: str) -> None:
    """Full-page screenshot into $BROWSER_SCREENSHOTS_DIR when set (kept out of normal runs)."""
    folder = os.environ.get("BROWSER_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def watch_content_security_policy(browser_context: BrowserContext) -> list[str]:
    """Collect what the Content-Security-Policy blocked in every page of this browser (Chromium
    reports each blocked script, style or form on the console)."""
    refused: list[str] = []

    def watch(page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                refused.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    browser_context.on("page", watch)
    return refused


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh profile (no cookies) on a phone-sized screen, talking to the live server.

    At the end, nothing the journey did may have been blocked by the Content-Security-Policy.
    """
    browser_context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris"
    )
    browser_context.set_default_timeout(TIMEOUT_MS)
    refused = watch_content_security_policy(browser_context)
    yield browser_context
    browser_context.close()
    assert not refused, "blocked by the Content-Security-Policy:\n" + "\n".join(refused)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def site(transactional_db: None) -> Site:
    return SiteFactory(slug="moissy-cramayel", name="Moissy-Cramayel")


@pytest.fixture
def other_site(transactional_db: None) -> Site:
    """A second conservatory, so that choosing the site in the login form matters."""
    return SiteFactory(slug="boulogne-billancourt", name="Boulogne-Billancourt")


@pytest.fixture
def school_year(transactional_db: None) -> SchoolYear:
    return SchoolYearFactory()


@pytest.fixture
def family(site: Site, other_site: Site, school_year: SchoolYear) -> Family:
    """Madame TEST FAMILLE, identifiant "alice", with two children."""
    family = FamilyFactory(site=site, account__username="alice", nom="TEST", prenom="FAMILLE")
    StudentFactory(family=family, nom="TEST", prenom="Gaëlle")
    # Hugo's image rights are "Non", so that answering "Oui" is a change the page must save.
    StudentFactory(family=family, nom="TEST", prenom="Hugo", droit_image=False)
    return family


@pytest.fixture
def children(family: Family) -> list[Student]:
    return list(family.students.order_by("prenom", "pk"))


@pytest.fixture
def family_page(
    page: Page, context: BrowserContext, family: Family, live_server: LiveServer
) -> Page:
    """A page already logged in as the family (the login journey itself is tested apart)."""
    client = Client()
    client.force_login(family.account)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


# Journeys of several people: each one in a browser of their own, logging in by the form. -----


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[[], BrowserContext]]:
    """Make another person's browser (the teacher, the secretariat): a fresh phone profile."""
    made: list[BrowserContext] = []
    refused: list[str] = []

    def make() -> BrowserContext:
        browser_context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris"
        )
        browser_context.set_default_timeout(TIMEOUT_MS)
        refused.extend(watch_content_security_policy(browser_context))
        made.append(browser_context)
        return browser_context

    yield make
    for browser_context in made:
        browser_context.close()
    assert not refused, "blocked by the Content-Security-Policy:\n" + "\n".join(refused)


def log_in(page: Page, username: str, *, access: str = "usager", next_url: str = "") -> None:
    """Connexion through the form: site Moissy-Cramayel, identifiant, the factories' password."""
    query = {"acces": access, **({"next": next_url} if next_url else {})}
    page.goto(f"/connexion/?{urlencode(query)}")
    check_page(page)
    page.get_by_label("Site").select_option(label="Moissy-Cramayel")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def totp_code(secret: str) -> str:
    """What the authenticator app shows now for this base32 key."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def log_in_staff(page: Page, username: str, *, next_url: str = "/admin/") -> None:
    """A staff login: the form, then pairing the authenticator app with the key shown, as a
    secretariat member does the first time (the pages pass axe-core like any other)."""
    log_in(page, username, next_url=next_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Activer la vérification en deux étapes"
    )
    check_page(page)
    secret = page.locator("#otp-secret").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(totp_code(secret))
    page.get_by_role("button", name="Activer").click()


def assert_stacked_cells_aligned(page: Page) -> None:
    """On a phone, each cell of a `table.stack` shows its column name on the left and all its
    content on the right: nothing of a cell slips under the column name."""
    stray = page.evaluate(
        """() => {
        const stray = [];
        for (const cell of document.querySelectorAll("table.stack td")) {
          if (getComputedStyle(cell).display !== "grid") continue;
          const lefts = [];
          for (const node of cell.childNodes) {
            let box;
            if (node.nodeType === Node.TEXT_NODE && node.textContent.trim()) {
              const range = document.createRange();
              range.selectNodeContents(node);
              box = range.getBoundingClientRect();
            } else if (node.nodeType === Node.ELEMENT_NODE
                       && getComputedStyle(node).position !== "absolute") {
              box = node.getBoundingClientRect();
            }
            if (box && (box.width || box.height)) lefts.push(box.left);
          }
          if (lefts.length && Math.max(...lefts) - Math.min(...lefts) > 1) {
            stray.push(cell.dataset.label + ": " + cell.textContent.trim().replace(/\\s+/g, " "));
          }
        }
        return stray;
      }"""
    )
    assert not stray, f"{page.url}: cell content under the column name:\n" + "\n".join(stray)
