"""Small Sphinx fixes for the built site, loaded through `_config.yml` (sphinx.local_extensions).

- sphinx-thebe 0.3's inline configuration script is registered twice, so each page declares
  `const THEBE_JS_URL` twice, which the browser reports as a SyntaxError: keep one copy of each
  script.
- the theme's layout expects a default colour mode that nothing sets: set it.
- Sphinx reads (and myst-nb executes) the pages in alphabetical order of their paths, which
  puts Part 4 (`book/conditional-gans`) before Part 3 (`book/gans`): read them in the book's
  order instead, so that each part's pages train what they need, and a part's pages reuse
  what the parts before it trained (Part 4 compares its runs with Part 3's default run and
  measures them with Part 3's digit judge).
- the theme's Colab and Binder buttons open a page's source, which for a chapter is a MyST
  file that Colab cannot open and Binder shows as text: point them at the chapter's notebook
  twin, `notebooks/<part>/<page>.ipynb`, which `dlvision assign` writes from the page.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

from dlvision.assign import INSTRUCTORS, Layout

LOGGER = logging.getLogger(__name__)
# The theme's launch buttons that open the page's file, by their text.
RETARGETED = ("Colab", "Binder")


def _read_in_toc_order(app, env, docnames: list[str]) -> None:
    # sphinx-external-toc's site map of `_toc.yml`: its documents iterate depth first, in the
    # book's reading order.
    site_map = getattr(env, "external_site_map", None)
    if site_map is None:
        return
    order = {name: i for i, name in enumerate(site_map)}
    docnames.sort(key=lambda name: order.get(name, len(order)))  # the others last, as they were


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        # The copies differ only in filename: None for one, "" for the other.
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    context["script_files"] = scripts
    # pydata-sphinx-theme's layout reads `default_mode`, which nothing in these theme versions
    # sets; left empty, the theme logs "Got invalid theme mode" in the console.
    context.setdefault("default_mode", "light")


def twin_launch_url(url: str, source: str, twin: str) -> str:
    """A launch button's ``url`` that opens ``twin`` instead of ``source`` (paths from the
    book's root): the theme ends its Colab and Binder links with the source's path."""
    if not url.endswith(source):
        raise ValueError(f"the launch link {url} does not end with the page's source {source}")
    return url[: len(url) - len(source)] + twin


def _launch_chapter_notebooks(app, pagename, templatename, context, doctree):
    groups = [group for group in context.get("header_buttons", [])
              if group.get("label") == "launch-buttons"]
    if not groups or not pagename.startswith("book/"):
        return  # no launch buttons (not a notebook), or an exercise: it is a notebook already
    if pagename.startswith(INSTRUCTORS):  # commands for a clone of the repository
        context["header_buttons"] = [g for g in context["header_buttons"] if g not in groups]
        return
    root = Path(app.srcdir)
    source = Path(app.env.doc2path(pagename, base=False)).as_posix()  # from the book's root
    twin = Layout(root).twin(root / source)
    if not twin.is_file():
        LOGGER.warning(f"{pagename}: its launch buttons need its notebook twin "
                       f"{twin.relative_to(root).as_posix()}, which does not exist: run "
                       "`dlvision assign` (or `make exercises`) and commit notebooks/")
        return
    for group in groups:
        for button in group.get("buttons", []):
            if button.get("text") in RETARGETED:
                button["url"] = twin_launch_url(button["url"], source,
                                                twin.relative_to(root).as_posix())


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    # After the theme's handler (sphinx-book-theme: priority 501), which adds the launch buttons.
    app.connect("html-page-context", _launch_chapter_notebooks, priority=600)
    app.connect("env-before-read-docs", _read_in_toc_order)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
