"""widgets/<name>.js: the widget code (assets/js/_widget.js and its imports, bundled) with the
widget's settings. Its data (a separate small index of its categories) is written by the
pipeline under widgets/<name>/."""

from __future__ import annotations

import json

from .jsmodules import bundle, module_variable


def widget_script(name: str, *, lang: str, title: str | None, max_results: int, site_url: str, language_name: str,
                  strings: dict[str, str] | None = None) -> bytes:
    """`strings`: the widget's words (the js_widget_* strings of the i18n files, prefix removed)."""
    config = {
        "name": name,
        "lang": lang,
        "title": title,
        "maxResults": max(1, max_results),
        "siteUrl": site_url,
        "languageName": language_name,
        "strings": dict(sorted((strings or {}).items())),
    }
    epilogue = f"{module_variable('_widget.js')}.startWidget({json.dumps(config, ensure_ascii=False)});"
    header = f"/* kbgen search widget \"{name}\": add <script src=\"…/widgets/{name}.js\"></script> to any page. */\n"
    return (header + bundle("_widget.js", epilogue=epilogue)).encode("utf-8")
