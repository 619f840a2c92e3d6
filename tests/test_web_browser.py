"""The web page in a real browser: Debian's headless chromium, driven by Selenium through its own chromedriver.

Without chromium the tests skip, unless CI_REQUIRE_BROWSER=1 (CI sets it) makes that a failure.
WEB_SCREENSHOTS=DIR also saves the README's screenshots there and prints the page timings.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import JIADING_FIGURE, JIADING_NAME, JIADING_QUESTION, JIADING_TEXT
from website import TOKEN, Client, Site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 30

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"no browser: {CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium "
                           "chromium-driver fonts-noto-cjk)")
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only once a browser is known to be there)
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch a browser or driver: these are Debian's
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900",
                     "--lang=zh-CN", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(sample_db: Path, tmp_path: Path, browser: WebDriver) -> Iterator[Site]:
    browser.delete_all_cookies()
    with Site(Path(shutil.copy(sample_db, tmp_path / "web.db"))) as running:
        yield running


def _wait(browser: WebDriver) -> WebDriverWait:
    return WebDriverWait(browser, WAIT)


def _ask(browser: WebDriver, question: str) -> None:
    cards = len(browser.find_elements(By.CSS_SELECTOR, "#conversation .card"))
    box = browser.find_element(By.ID, "q")
    box.send_keys(question, Keys.ENTER)  # the keyboard alone
    _wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#conversation .card")) == cards + 1)


def test_ask_read_the_card_and_unfold_the_passage(site: Site, browser: WebDriver) -> None:
    browser.get(site.url + "/")
    _ask(browser, "青浦有多少套公租房")
    card = browser.find_elements(By.CSS_SELECTOR, "#conversation .card")[-1]
    assert "100套" in card.find_element(By.CSS_SELECTOR, ".figure").text
    assert card.find_element(By.CSS_SELECTOR, ".sentence mark").text == "100套"
    passage = card.find_element(By.CSS_SELECTOR, "details.passage")
    assert not passage.find_element(By.TAG_NAME, "p").is_displayed()
    summary = passage.find_element(By.TAG_NAME, "summary")
    summary.send_keys(Keys.ENTER)  # 原文, from the keyboard
    _wait(browser).until(lambda b: passage.find_element(By.TAG_NAME, "p").is_displayed())
    assert "6044.86平方米" in passage.text
    # the conversation stays: a second question adds a card below the first, a not-found one reads as the bot's
    _ask(browser, "松江有多少套公租房")
    cards = browser.find_elements(By.CSS_SELECTOR, "#conversation .card")
    assert len(cards) == 2
    assert "missing" in (cards[1].get_attribute("class") or "")
    assert "可以换个说法再问" in cards[1].text
    cards[0].find_element(By.CSS_SELECTOR, "button.vote[data-up='1']").click()
    _wait(browser).until(lambda b: cards[0].find_element(By.CSS_SELECTOR, ".voted").text == "谢谢反馈！")


def test_an_example_question_asks_itself(site: Site, browser: WebDriver) -> None:
    browser.get(site.url + "/")
    example = browser.find_element(By.CSS_SELECTOR, "a.example")
    question = example.get_attribute("data-question")
    example.click()
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#conversation .card"))
    card = browser.find_element(By.CSS_SELECTOR, "#conversation .card")
    assert question
    assert question in card.find_element(By.CSS_SELECTOR, ".asked").text
    assert "missing" not in (card.get_attribute("class") or "")  # examples are ones the index answers


def test_an_empty_question_says_so_in_one_line(site: Site, browser: WebDriver) -> None:
    browser.get(site.url + "/")
    browser.execute_script("document.getElementById('q').removeAttribute('required')")
    browser.find_element(By.ID, "q").send_keys("   ", Keys.ENTER)
    error = browser.find_element(By.ID, "ask-error")
    _wait(browser).until(lambda b: error.is_displayed())
    assert error.text == "问题是空的，请输入要问的内容。"
    assert not browser.find_elements(By.CSS_SELECTOR, "#conversation .card")


def test_admin_logs_in_uploads_and_the_issue_is_answered(site: Site, browser: WebDriver, tmp_path: Path) -> None:
    browser.get(site.url + "/login?next=/bulletins")
    browser.find_element(By.ID, "token").send_keys(TOKEN, Keys.ENTER)
    _wait(browser).until(ec.url_contains("/bulletins"))
    files = [tmp_path / JIADING_NAME, tmp_path / "notes.exe"]
    files[0].write_text(JIADING_TEXT, encoding="utf-8")
    files[1].write_bytes(b"MZ\x90\x00")
    browser.find_element(By.ID, "files").send_keys("\n".join(str(f) for f in files))  # two files chosen at once
    _wait(browser).until(lambda b: len([li for li in b.find_elements(By.CSS_SELECTOR, "#uploads li")
                                        if "中……" not in li.text]) == 2)
    items = browser.find_elements(By.CSS_SELECTOR, "#uploads li")
    assert "已收录" in items[0].text
    assert "status-added" in (items[0].get_attribute("class") or "")
    assert "未收录" in items[1].text
    assert "只收" in items[1].text
    _wait(browser).until(lambda b: JIADING_NAME in b.find_element(By.CSS_SELECTOR, "table").text)  # the list refreshed
    browser.get(site.url + "/")
    _ask(browser, JIADING_QUESTION)
    assert JIADING_FIGURE in browser.find_element(By.CSS_SELECTOR, "#conversation .card .figure").text


def test_a_visitor_cannot_upload(site: Site, browser: WebDriver) -> None:
    browser.get(site.url + "/bulletins")
    assert not browser.find_elements(By.ID, "files")
    assert "管理员登录" in browser.find_element(By.TAG_NAME, "main").text
    # even a page script posting the form with the page's own CSRF token is refused, and nothing is stored
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const body = new FormData();
        body.append("file", new Blob(["嘉定区累计建成45个快递驿站。"]), "x.txt");
        fetch("/api/bulletins", {method: "POST", body,
              headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}})
          .then((r) => done(r.status));
    """)
    assert status == 401
    assert len(Client(site.url).get("/api/bulletins").json()) == 1


def test_the_page_fits_a_phone(site: Site, browser: WebDriver) -> None:
    browser.set_window_size(390, 844)
    try:
        for path in ("/?q=青浦有多少套公租房", "/bulletins"):
            browser.get(site.url + path)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, path
    finally:
        browser.set_window_size(1100, 900)


def test_screenshots_and_timings(site: Site, browser: WebDriver, capsys: pytest.CaptureFixture[str]) -> None:
    """First paint and an answer's round trip, measured in the browser (and the README's screenshots, on request)."""
    browser.get(site.url + "/")
    _ask(browser, "青浦有多少套公租房")
    _ask(browser, "青浦的公租房一共租赁了多少平方米")
    paint = _wait(browser).until(lambda b: b.execute_script(  # reported once the page has painted
        "return performance.getEntriesByType('paint').map((p) => [p.name, p.startTime])"))
    trips = [float(c.get_attribute("data-round-trip-ms") or "nan")
             for c in browser.find_elements(By.CSS_SELECTOR, "#conversation .card")]
    assert dict(paint).get("first-contentful-paint", 0) > 0
    assert all(t > 0 for t in trips)
    out = os.environ.get("WEB_SCREENSHOTS")
    if out:
        browser.find_elements(By.CSS_SELECTOR, "#conversation .card summary")[0].click()
        browser.save_screenshot(str(Path(out) / "web-ask.png"))
        client = Client(site.url)
        client.upload([(JIADING_NAME, JIADING_TEXT.encode())], {"Authorization": f"Bearer {TOKEN}"})
        browser.get(site.url + "/login?next=/bulletins")
        browser.find_element(By.ID, "token").send_keys(TOKEN, Keys.ENTER)
        _wait(browser).until(ec.url_contains("/bulletins"))
        browser.save_screenshot(str(Path(out) / "web-bulletins.png"))
        with capsys.disabled():
            print(f"\npaint: {paint}; answer round trips (ms): {[round(t, 1) for t in trips]}")
