"""User text is stored raw and rendered here: Markdown, then nh3 keeps only harmless HTML, so no
script, handler attribute or javascript: link written by a user ever reaches a page."""
from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "hr", "del"}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text, extensions=["fenced_code", "sane_lists", "nl2br"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow ugc")
