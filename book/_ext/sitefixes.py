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
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("env-before-read-docs", _read_in_toc_order)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
