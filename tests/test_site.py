"""Checks on the built site (`make book` first): pages, assets, question headings.

Marked slow: `make test` runs them after building the book.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.slow

# Which questions each chapter page must answer, with a heading "Q<n> — ...".
CHAPTER_QUESTIONS: dict[str, list[int]] = {
    "book/transfer-learning/vgg16": [1, 2, 3, 4],
    "book/transfer-learning/scene15": [5, 6, 7, 8, 9, 10, 11],
}


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False
        self._text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("img", "script") and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "preload") and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag in ("h1", "h2", "h3"):
            self._in_heading, self._text = True, []

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._in_heading:
            self.headings.append("".join(self._text).strip())
            self._in_heading = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_heading:
            self._text.append(data)


def parse(page: Path) -> _Page:
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def pages() -> dict[str, Path]:
    if not (HTML / "index.html").exists():
        pytest.fail("the site is not built: run `make book` first")
    return {f: HTML / f"{f}.html" for f in toc_files()}


def test_every_page_of_the_table_of_contents_is_built(pages):
    missing = [f for f, path in pages.items() if not path.exists()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"


def test_every_local_asset_exists(pages):
    broken = []
    for page in pages.values():
        for ref in parse(page).assets:
            url = urlparse(ref)
            if url.scheme or url.netloc or ref.startswith("data:"):
                continue
            if not (page.parent / unquote(url.path)).resolve().exists():
                broken.append(f"{page.relative_to(HTML)} → {ref}")
    assert not broken, "missing images, scripts or styles:\n" + "\n".join(broken)


def test_no_placeholder_pages(pages):
    for f, page in pages.items():
        text = " ".join(parse(page).text).lower()
        for word in ("coming soon", "todo", "lorem ipsum", "tbd"):
            assert not re.search(rf"\b{word}\b", text), f"{f} says {word!r}"


def test_no_cell_errors_in_pages(pages):
    for f, page in pages.items():
        html = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in html, f"{f} shows a traceback"


def test_part_pages_list_their_questions(pages):
    expected = {"book/transfer-learning/index": 11, "book/visualization/index": 11,
                "book/gans/index": 5, "book/conditional-gans/index": 15}
    for f, last in expected.items():
        text = " ".join(parse(pages[f]).text)
        first = 6 if "conditional" in f else 1
        missing = [q for q in range(first, last + 1) if not re.search(rf"\bQ{q}\b", text)]
        assert not missing, f"{f} does not list questions {missing}"


@pytest.mark.parametrize("chapter", sorted(CHAPTER_QUESTIONS))
def test_chapters_have_one_heading_per_question(pages, chapter):
    headings = parse(pages[chapter]).headings
    for q in CHAPTER_QUESTIONS[chapter]:
        assert any(re.match(rf"Q{q}\s+—", h) for h in headings), \
            f"{chapter} has no heading 'Q{q} — …' (headings: {headings})"


# --- the published site: launch buttons, 404 page, nothing from a CDN ----------------------------

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def notebook_pages() -> list[str]:
    """The exercise and solution pages: each is a notebook a student can launch."""
    return [f for f in toc_files() if f.startswith(("exercises/", "solutions/"))]


def expected_launch_urls(page: str) -> dict[str, str]:
    """Where the Colab and Binder buttons of ``page`` must lead: its notebook, in the repository
    and branch that `_config.yml` names."""
    repo = CONFIG["repository"]
    org_repo = urlparse(repo["url"]).path.strip("/")
    notebook = f"{page}.ipynb"
    launch = CONFIG["launch_buttons"]
    return {
        "colab": f"{launch['colab_url']}/github/{org_repo}/blob/{repo['branch']}/{notebook}",
        "binder": f"{launch['binderhub_url']}/v2/gh/{org_repo}/{repo['branch']}"
                  f"?urlpath=tree/{notebook}",
    }


def site_prefix() -> str:
    """The path the site is served under on GitHub Pages: /<repository name>/."""
    return "/" + urlparse(CONFIG["repository"]["url"]).path.strip("/").split("/")[-1] + "/"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.external: list[str] = []  # scripts and styles loaded from another host

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        url = attrs.get("src") if tag == "script" else attrs.get("href") if tag == "link" else None
        if url and urlparse(url).netloc and attrs.get("rel") not in ("canonical", "alternate"):
            self.external.append(url)


def links(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("page", notebook_pages())
def test_launch_buttons_open_the_pages_own_notebook(pages, page):
    hrefs = links(pages[page]).hrefs
    for service, url in expected_launch_urls(page).items():
        assert url in hrefs, f"{page}: no {service} button to {url}; its links: " + \
            ", ".join(h for h in hrefs if service in h)
    assert (ROOT / f"{page}.ipynb").exists()


def test_no_script_or_style_comes_from_another_host():
    built = sorted(HTML.rglob("*.html"))
    assert built, "the site is not built: run `make book` first"
    external = {f"{p.relative_to(HTML)} → {url}" for p in built for url in links(p).external}
    assert not external, "the site must work offline:\n" + "\n".join(sorted(external))


def test_mathjax_is_served_by_the_site():
    page = HTML / "book" / "gans" / "principle.html"
    scripts = [src for src in parse(page).assets if "mathjax" in src.lower()]
    assert scripts, "no MathJax script on a page full of formulas"
    for src in scripts:
        assert not urlparse(src).netloc, f"MathJax from another host: {src}"
        assert (page.parent / src.split("?")[0]).resolve().exists(), f"{src} is not in the site"


def test_the_404_page_works_from_any_path_under_the_site():
    page = HTML / "404.html"
    assert page.exists(), "no 404.html: GitHub Pages shows it for a missing page"
    text = " ".join(parse(page).text)
    assert "Page not found" in text
    # GitHub Pages serves 404.html at the missing page's own path: every link must be absolute.
    local = [ref for ref in parse(page).assets + links(page).hrefs
             if not urlparse(ref).netloc and not ref.startswith(("#", "data:", "mailto:"))]
    assert local, "a 404 page without styles or links"
    relative = [ref for ref in local if not ref.startswith(site_prefix())]
    assert not relative, f"links that break below the site's root {site_prefix()}: {relative}"
    for ref in local:
        assert (HTML / unquote(urlparse(ref).path)[len(site_prefix()):]).exists() or \
            ref.rstrip("/") + "/" == site_prefix(), f"404.html links to a missing {ref}"


def test_solution_pages_show_their_outputs(pages):
    def outputs(page: str) -> int:
        return len(re.findall(r'class="cell_output', pages[page].read_text(encoding="utf-8")))

    for page in notebook_pages():
        if page.startswith("solutions/"):
            assert outputs(page) >= 3, f"{page} shows no outputs: solutions are executed"
        else:
            assert outputs(page) == 0, \
                f"{page}: exercises are shown as the student gets them, never executed"
    figures = pages["solutions/3-gans"].read_text(encoding="utf-8").count("<img")
    assert figures >= 3, "Exercise 3's solution shows its real images, losses and samples"


def _chapter_twins() -> dict[str, str]:
    """Each chapter page (docname) → its notebook twin, from the repository root."""
    from dlvision.assign import Layout, chapter_pages

    layout = Layout(ROOT)
    return {page.relative_to(ROOT).with_suffix("").as_posix():
            layout.twin(page).relative_to(ROOT).as_posix() for page in chapter_pages(ROOT)}


def test_chapter_launch_buttons_open_the_chapters_notebook_twin(pages):
    """Colab cannot open a MyST page, and Binder shows it as text: both buttons of a chapter
    open its twin in notebooks/, with the interface that `_config.yml` names."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository, launch = config["repository"], config["launch_buttons"]
    slug = urlparse(repository["url"]).path.strip("/")
    branch = repository.get("branch", "main")
    interface = {"classic": "tree", "jupyterlab": "lab/tree"}[launch["notebook_interface"]]
    twins = _chapter_twins()
    assert len(twins) >= 10, twins
    for docname, twin in twins.items():
        assert (ROOT / twin).is_file(), f"{twin} is missing: run `dlvision assign`"
        parser = _Links()
        parser.feed(pages[docname].read_text(encoding="utf-8"))
        colab = [h for h in parser.hrefs if h.startswith(launch["colab_url"])]
        binder = [h for h in parser.hrefs if h.startswith(launch["binderhub_url"])]
        assert colab == [f"{launch['colab_url']}/github/{slug}/blob/{branch}/{twin}"], docname
        assert binder == [f"{launch['binderhub_url']}/v2/gh/{slug}/{branch}"
                          f"?urlpath={interface}/{twin}"], docname


def test_chapter_twins_are_not_pages_of_the_site():
    assert not (HTML / "notebooks").exists(), "notebooks/ was built into the site"


def test_the_instructors_pages_have_no_launch_buttons(pages):
    """They run commands in a clone of the repository (grading, rebuilding): Colab or Binder
    would open them without one."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    launch = config["launch_buttons"]
    instructors = [name for name in pages if name.startswith("book/instructors/")]
    assert len(instructors) >= 2, sorted(pages)
    for name in instructors:
        parser = _Links()
        parser.feed(pages[name].read_text(encoding="utf-8"))
        assert not [h for h in parser.hrefs
                    if h.startswith((launch["colab_url"], launch["binderhub_url"]))], name
