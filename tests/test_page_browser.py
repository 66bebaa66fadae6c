"""The page at GET / in a real headless Chromium (Debian's chromium and chromium-driver),
driven by Selenium, against a uvicorn server on 127.0.0.1: ask the demo question, see the
passages, and see the seed phrases in the SVG of why the top passage came back.

Set HIPPORAG_LIKE_SCREENSHOT=FILE.png to also save a screenshot of the page (for the README)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import SHOWCASE

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


def test_page_shows_passages_and_why(demo_index_path: Path, demo_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvicorn")
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from hipporag_like.server import create_app
    from live_server import live_server

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for a browser online
    index_dir = tmp_path / "demo"
    shutil.copytree(demo_index_path, index_dir)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(flag)
    expected = demo_index.retrieve(SHOWCASE, k=5)
    with live_server(create_app(index_dir, api_key="")) as url:
        driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
        try:
            driver.set_page_load_timeout(30)
            driver.get(url + "/")
            driver.find_element(By.ID, "q").send_keys(SHOWCASE)
            driver.find_element(By.ID, "go").click()
            wait = WebDriverWait(driver, 30)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#why svg"))
            titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#passages li .t")]
            assert titles == [p.title for p in expected.passages]
            svg = driver.find_element(By.CSS_SELECTOR, "#why svg").get_attribute("outerHTML")
            labels = [e.get_attribute("data-label") for e in driver.find_elements(By.CSS_SELECTOR, "#why svg g.seed")]
            seeds = [s.phrase for s in expected.passages[0].why.seed_phrases]
            assert seeds and set(seeds) <= set(labels), (seeds, labels)
            assert all(seed in svg for seed in seeds)
            assert driver.find_element(By.ID, "status").text == ""
            if os.environ.get("HIPPORAG_LIKE_SCREENSHOT"):
                driver.save_screenshot(os.environ["HIPPORAG_LIKE_SCREENSHOT"])
            second = driver.find_elements(By.CSS_SELECTOR, "#passages li")[1]
            second.click()
            label = "const g = document.querySelector('#why svg g.passage'); return g ? g.dataset.label : '';"
            wait.until(lambda d: (d.execute_script(label) or "").startswith(expected.passages[1].title))
            assert "chosen" in second.get_attribute("class")
        finally:
            driver.quit()
