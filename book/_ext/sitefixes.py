"""Small Sphinx fixes for the built site, loaded through `_config.yml` (sphinx.local_extensions).

- sphinx-thebe 0.3's inline configuration script is registered twice, so each page declares
  `const THEBE_JS_URL` twice, which the browser reports as a SyntaxError: keep one copy of each
  script.
- the theme's layout expects a default colour mode that nothing sets: set it.
"""

from __future__ import annotations


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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
