"""A real headless Chromium opens every page of the built site, with the network cut.

The site is served under the path GitHub Pages gives it (`/dlvision/`), and the browser can
reach nothing but this machine: what a page needs from elsewhere fails here as it would on an
instructor's offline laptop. On every page: no console error, every image loads, every formula
is rendered by MathJax (no raw `\\(` left in the text), the prose never scrolls sideways and
every image fits, at a phone's width (390 px) and a laptop's (1,300 px); on exercise and
solution pages, the launch buttons open that notebook. A missing page gets the site's 404 page.

Needs Debian's chromium and chromium-driver (.ci/run installs them); set
DLVISION_REQUIRE_BROWSER=1 to fail instead of skip when they are missing.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
from urllib.parse import unquote, urlparse

import pytest
from test_site import HTML, expected_launch_urls, notebook_pages, site_prefix, toc_files

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTHS = {"phone": 390, "laptop": 1300}


class _Pages(http.server.SimpleHTTPRequestHandler):
    """GitHub Pages' behaviour for a project site: the site under /<repo>/, and 404.html, with
    status 404, for any path that has no file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(HTML), **kwargs)

    def translate_path(self, path):
        path = urlparse(path).path
        if not path.startswith(site_prefix()):
            return str(HTML / "no such file")
        return super().translate_path("/" + path[len(site_prefix()):])

    def send_head(self):
        local = self.translate_path(self.path)
        if os.path.isdir(local):
            local = os.path.join(local, "index.html")
        if not os.path.exists(local):
            body = (HTML / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    if not (HTML / "index.html").exists():
        pytest.fail("the site is not built: run `make book` first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{site_prefix()}"
    server.shutdown()


def _dead_port() -> int:
    """A loopback port with nothing listening: the browser's proxy for every other host."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = "chromium and chromedriver are not installed (apt-get install chromium " \
                  "chromium-driver)"
        if os.environ.get("DLVISION_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No network but this machine's loopback: names other than 127.0.0.1 do not resolve, and
    # every request to another host (an IP address too) goes to a proxy that is not there.
    # Chromium never sends loopback requests through a proxy, so the site itself loads.
    offline = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
               f"--proxy-server=http://127.0.0.1:{_dead_port()}")
    # Without these Chromium keeps trying to reach Google in the background.
    quiet = ("--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--disable-quic")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 *offline, *quiet, "--window-size=1300,900", "--hide-scrollbars",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


def _width(browser, width: int) -> None:
    # The viewport itself, whatever the window's decorations: as a phone's screen would be.
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1,
                             "mobile": width < 600})
    browser.execute_async_script(SETTLED)


# Resolves once the layout has stopped moving: the same page width and the same boxes of its
# images over five animation frames in a row. One frame after a change of viewport is not
# enough: the theme's sidebars and images can still be resizing (seen once at 1,300 px after a
# phone's width). The cap (20 s) only bounds the wait; the checks that follow judge the layout.
SETTLED = """
const done = arguments[arguments.length - 1];
const shape = () => JSON.stringify([document.documentElement.clientWidth,
    document.documentElement.scrollWidth,
    Array.from(document.querySelectorAll('main img')).map(i => {
        const r = i.getBoundingClientRect(); return [r.left, r.right]; })]);
const start = performance.now();
let last = null, same = 0;
const frame = () => {
    const now = shape();
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= 5 || performance.now() - start > 20000) done(same);
    else requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
"""


BROKEN_IMAGES = """
return Array.from(document.images)
    .filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => img.getAttribute('src'));
"""

# Resolves once MathJax has typeset the page (at once on a page with no MathJax at all).
MATHJAX_DONE = """
const done = arguments[arguments.length - 1];
const wait = (tries) => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(() => done('typeset'), e => done('failed: ' + e));
    } else if (document.querySelector('script[src*="mathjax" i]') && tries > 0) {
        setTimeout(() => wait(tries - 1), 100);  // its script has not run yet
    } else {
        done(document.querySelector('script[src*="mathjax" i]') ? 'never started' : 'absent');
    }
};
wait(600);
"""

# What a reader sees of the page's prose: the main text without code (a formula's source in a
# code cell is code, not a formula).
PROSE = """
const main = document.querySelector('main').cloneNode(true);
main.querySelectorAll('pre, code, .cell_input, mjx-container, script').forEach(e => e.remove());
return main.innerText;
"""

MATH = """
const math = Array.from(document.querySelectorAll('main .math'));
return {formulas: math.length,
        unrendered: math.filter(m => !m.querySelector('mjx-container'))
                        .map(m => m.textContent.slice(0, 60)),
        errors: Array.from(document.querySelectorAll('mjx-merror'))
                     .map(m => m.getAttribute('data-mjx-error') || m.textContent)};
"""

# Elements of the article (the prose, not the theme's drawers) that stick out of the viewport on
# the right, outside any box that scrolls by itself (a code cell, a wide table's wrapper): the
# page would scroll sideways for them.
OVERFLOW = """
const width = document.documentElement.clientWidth;
const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    const x = getComputedStyle(p).overflowX;
    if (x === 'auto' || x === 'scroll' || x === 'hidden') return true; }
    return false; };
const out = Array.from(document.querySelectorAll('main article *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !scrolls(e)
        && getComputedStyle(e).visibility !== 'hidden'; });
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        culprits: out.slice(0, 5).map(e => e.tagName.toLowerCase() + '.' +
                                      String(e.className).replace(/ /g, '.')),
        images: Array.from(document.querySelectorAll('main img')).filter(i => {
            const r = i.getBoundingClientRect();
            return r.width > 0 && (r.left < -1 || r.right > width + 1); })
            .map(i => i.getAttribute('src'))};
"""


def _external_requests(log: list[dict], site_url: str) -> list[str]:
    """What the page tried to fetch from elsewhere: each fails here, and the console says so."""
    origin = site_url.split(site_prefix())[0]
    return [entry["message"] for entry in log
            if "net::ERR_" in entry["message"] and origin not in entry["message"]]


@pytest.mark.parametrize("page", toc_files())
def test_page_renders_offline_at_a_phones_and_a_laptops_width(browser, site_url, page):
    _width(browser, WIDTHS["laptop"])
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(f"{site_url}{page}.html")
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title.strip(), f"{page} has no title"
    assert browser.find_elements("css selector", "main h1"), f"{page} has no heading"
    assert browser.execute_script(BROKEN_IMAGES) == [], f"{page} has images that do not load"

    state = browser.execute_async_script(MATHJAX_DONE)
    math = browser.execute_script(MATH)
    if math["formulas"]:
        assert state == "typeset", f"{page}: MathJax {state} with the network cut"
    assert not math["unrendered"], f"{page}: formulas left as source: {math['unrendered']}"
    assert not math["errors"], f"{page}: MathJax could not read {math['errors']}"
    prose = browser.execute_script(PROSE)
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in prose, f"{page}: a raw {raw} in the text: " + \
            prose[max(0, prose.index(raw) - 80):prose.index(raw) + 80]

    if page in notebook_pages():
        hrefs = [a.get_attribute("href") for a in browser.find_elements("css selector", "a")]
        for service, url in expected_launch_urls(page).items():
            assert url in hrefs, f"{page}: the {service} button does not open {url}"

    for name, width in WIDTHS.items():
        _width(browser, width)
        layout = browser.execute_script(OVERFLOW)
        assert layout["scrollWidth"] <= layout["innerWidth"], \
            f"{page} scrolls sideways at {width} px ({name}): {layout}"
        assert not layout["culprits"], f"{page} sticks out at {width} px: {layout['culprits']}"
        assert not layout["images"], f"{page}: images wider than the page at {width} px: " \
            f"{layout['images']}"

    log = browser.get_log("browser")
    assert not _external_requests(log, site_url), \
        f"{page} needs the network: {_external_requests(log, site_url)}"
    errors = [entry["message"] for entry in log if entry["level"] == "SEVERE"]
    assert errors == [], f"{page}: console errors: {errors}"


@pytest.mark.parametrize("missing", ["no-such-page.html", "book/gans/no-such-page.html"])
def test_a_missing_page_gets_the_sites_404_page(browser, site_url, missing):
    _width(browser, WIDTHS["laptop"])
    browser.get(f"{site_url}{missing}")
    assert "Page not found" in browser.find_element("css selector", "main").text
    assert browser.execute_script(BROKEN_IMAGES) == []
    # The theme's styles loaded, from the site's root however deep the missing page was.
    styled = browser.execute_script(
        "return Array.from(document.styleSheets).filter(s => s.href && s.cssRules.length)"
        ".map(s => s.href)")
    assert any("_static" in href for href in styled), f"the 404 page has no styles: {styled}"
    home = browser.find_element("css selector", f"main a[href='{site_prefix()}']")
    home.click()
    assert unquote(urlparse(browser.current_url).path).startswith(f"{site_prefix()}book/intro")
