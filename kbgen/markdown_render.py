"""Markdown → article HTML, table of contents, heading ids, plain text and links.

The HTML of an article depends only on its own source file, so it can be rendered in
parallel and cached. Links to other content are emitted as placeholders
(``kbgen-link:en/billing/invoices.md#anchor``) that the render stage turns into
relative URLs once every page's address is known.
"""
from __future__ import annotations

import html
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
from markdown.blockprocessors import BlockQuoteProcessor
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AMP_SUBSTITUTE, Registry

# Bump when the HTML produced for the same source changes, to invalidate caches.
RENDERER_VERSION = "8"

LINK_PREFIX = "kbgen-link:"   # another Markdown file: content-relative path
FILE_PREFIX = "kbgen-file:"   # a non-Markdown file in content/
SITE_PREFIX = "kbgen-site:"   # a root-absolute site path ("/en/foo/")
REF_PREFIX = "kbgen-ref:"     # Hugo ref/relref shortcode target, resolved later

CALLOUT_KINDS = {"note", "tip", "important", "warning", "caution"}
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass
class Link:
    target: str        # content-relative path ("en/billing/invoices.md") or site path for SITE_PREFIX
    anchor: str | None
    kind: str          # "page", "file", "site", "ref"
    raw: str           # what the writer wrote, for messages
    placeholder: str = ""   # the href/src value in the rendered HTML, replaced once the target's URL is known


@dataclass
class RenderedMarkdown:
    html: str
    toc: list[dict]
    heading_ids: set[str]
    headings: list[str]
    text: str
    links: list[Link] = field(default_factory=list)
    warnings: list[tuple[str, int | None, str | None]] = field(default_factory=list)  # message, body line, hint
    code: str = ""     # the text of the code blocks (the plain text leaves them out; search indexes them)


def github_slug(value: str, separator: str = "-") -> str:
    """Heading ids the way Hugo ("github" style) and GitHub make them, so anchors in an
    existing Hugo KB keep working: lowercase, spaces to '-', punctuation dropped, letters
    of every script kept (Japanese headings get Japanese ids)."""
    value = unicodedata.normalize("NFC", html.unescape(re.sub(r"<[^>]+>", "", value)))
    value = value.strip().lower()
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if char in " \t":
            kept.append(separator)
        elif char in "-_" or category[0] in "LN" or category in ("Mn", "Mc"):
            kept.append(char)
    return "".join(kept)


class ShortcodePreprocessor(Preprocessor):
    """Hugo shortcodes that KBs use: ref/relref become link placeholders, highlight a fenced
    block, figure an image with caption, box shortcodes (hint, notice…) callouts; any other
    shortcode is removed with a warning (its inner text is kept)."""

    REF = re.compile(r"\{\{[<%]\s*(?:rel)?ref\s+\"([^\"]+)\"\s*[>%]\}\}")
    HIGHLIGHT = re.compile(r"\{\{<\s*highlight\s+(\w+)[^>]*>\}\}\n(.*?)\n\{\{<\s*/highlight\s*>\}\}", re.S)
    OTHER = re.compile(r"\{\{[<%]\s*/?\s*([\w.-]+)[^}]*?[>%]\}\}")

    # Paired "box" shortcodes of popular Hugo documentation themes, rendered as callouts.
    BOX = re.compile(r"\{\{[<%]\s*(hint|notice|alert|callout|admonition|note|tip|info|warning|caution|important|danger)"
                     r"\b([^>%]*)[>%]\}\}(.*?)\{\{[<%]\s*/\s*\1\s*[>%]\}\}", re.S)
    BOX_KINDS = {"info": "note", "note": "note", "tip": "tip", "success": "tip", "important": "important",
                 "warning": "warning", "warn": "warning", "caution": "caution", "danger": "caution", "error": "caution"}

    def run(self, lines):
        text = "\n".join(lines)
        first_line: dict[str, int] = {}  # before the rewrites below move lines
        for match in self.OTHER.finditer(text):
            first_line.setdefault(match.group(1), text.count("\n", 0, match.start()) + 1)
        text = self.REF.sub(lambda m: REF_PREFIX + m.group(1), text)
        text = self.HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", text)
        text = self.BOX.sub(self._box, text)
        text = self.FIGURE.sub(self._figure, text)

        reported: set[str] = set()

        def drop(match):
            name = match.group(1)
            if name not in reported:  # once per shortcode and file, at its first use
                reported.add(name)
                line = first_line.get(name)
                self.md.kbgen_warnings.append((
                    f"Hugo shortcode {{{{< {name} >}}}} is not supported; it was left out (its inner text is kept)",
                    line, "replace it with Markdown, or add a Python-Markdown extension for it under "
                          "[markdown] extensions in kbgen.toml (see the README)"))
            return ""

        text = self.OTHER.sub(drop, text)
        return text.split("\n")


    FIGURE = re.compile(r"\{\{[<%]\s*figure\s+([^>%]*?)/?\s*[>%]\}\}")
    ATTRIBUTE = re.compile(r"(\w+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|(\S+))")

    def _figure(self, match: re.Match) -> str:
        """Hugo's figure: an image (through the normal link handling) with an optional caption."""
        attributes = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                      for m in self.ATTRIBUTE.finditer(match.group(1))}
        source = attributes.get("src", "")
        if not source:
            return ""
        alt = (attributes.get("alt") or attributes.get("caption") or attributes.get("title") or "").replace("]", "")
        caption = attributes.get("caption") or attributes.get("title") or ""
        image = f"![{alt}](<{source}>)"
        if attributes.get("link"):
            image = f"[{image}](<{attributes['link']}>)"
        figcaption = f"\n<figcaption markdown=\"span\">{caption}</figcaption>" if caption else ""
        return f"\n\n<figure markdown=\"1\">\n{image}{figcaption}\n</figure>\n\n"

    def _box(self, match: re.Match) -> str:
        words = [w.strip("\"'") for w in re.findall(r"[\w\"'-]+", match.group(2))]
        named = [w.split("=")[-1].lower() for w in words]
        kind = next((self.BOX_KINDS[w] for w in [match.group(1).lower(), *named] if w in self.BOX_KINDS), "note")
        body = match.group(3).strip("\n")
        return "\n\n> [!" + kind.upper() + "]\n" + "\n".join("> " + line for line in body.split("\n")) + "\n\n"


class CalloutProcessor(BlockQuoteProcessor):
    """GitHub callouts: a blockquote starting with [!NOTE] (TIP, IMPORTANT, WARNING, CAUTION)."""

    MARKER = re.compile(r"^[ ]{0,3}>[ ]?\[!(\w+)\][ \t]*(.*)$", re.M)

    def test(self, parent, block):
        match = self.MARKER.match(block)
        return bool(match) and match.group(1).lower() in CALLOUT_KINDS

    def run(self, parent, blocks):
        block = blocks.pop(0)
        lines = block.split("\n")
        match = self.MARKER.match(lines[0])
        kind, title = match.group(1).lower(), match.group(2).strip()
        body = "\n".join(re.sub(r"^[ ]{0,3}>[ ]?", "", line) for line in lines[1:])
        box = etree.SubElement(parent, "div", {"class": f"callout callout-{kind}", "role": "note"})
        heading = etree.SubElement(box, "p", {"class": "callout-title"})
        heading.text = title or callout_title(self.parser.md.kbgen_lang, kind)
        self.parser.parseChunk(box, body)


class LinkTreeprocessor(Treeprocessor):
    """Turns relative links to content into placeholders and records them for checking."""

    def run(self, root):
        source_dir = posixpath.dirname(self.md.kbgen_source)
        lang_root = self.md.kbgen_source.split("/", 1)[0]
        for element in root.iter():
            attribute = "href" if element.tag == "a" else "src" if element.tag in ("img", "source", "video", "audio") else None
            if not attribute or not element.get(attribute):
                continue
            value = element.get(attribute).strip()
            replaced = self.rewrite(value, source_dir, lang_root)
            if replaced != value:
                element.set(attribute, replaced)

    def rewrite(self, value: str, source_dir: str, lang_root: str) -> str:
        if value.startswith(REF_PREFIX):
            target, _, anchor = value[len(REF_PREFIX):].partition("#")
            if not target:  # {{< relref "#section" >}}: a heading of this same page, as in Hugo
                return f"#{anchor}" if anchor else value
            self.md.kbgen_links.append(Link(target, anchor or None, "ref", value[len(REF_PREFIX):], value))
            return value
        if value.startswith("#") or value.startswith("//") or SCHEME.match(value) or value.startswith(AMP_SUBSTITUTE):
            return value  # (an obfuscated <name@example.com> autolink starts with an entity: a mailto: link)
        path, _, anchor = value.partition("#")
        path = path.split("?", 1)[0]
        if value.startswith("/"):
            placeholder = SITE_PREFIX + value.lstrip("/")
            self.md.kbgen_links.append(Link(path.lstrip("/"), anchor or None, "site", value, placeholder))
            return placeholder
        if not path:
            return value
        from urllib.parse import unquote
        target = posixpath.normpath(posixpath.join(source_dir, unquote(path)))
        if target.lower().endswith((".md", ".markdown")):
            placeholder = LINK_PREFIX + target + (f"#{anchor}" if anchor else "")
            self.md.kbgen_links.append(Link(target, anchor or None, "page", value, placeholder))
            return placeholder
        self.md.kbgen_links.append(Link(target, None, "file", value, FILE_PREFIX + target))
        return FILE_PREFIX + target


class KbgenExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(ShortcodePreprocessor(md), "kbgen_shortcodes", 29)
        md.parser.blockprocessors.register(CalloutProcessor(md.parser), "kbgen_callout", 21)
        md.treeprocessors.register(LinkTreeprocessor(md), "kbgen_links", 1)


BUILTIN_EXTENSIONS = ("tables", "fenced_code", "codehilite", "toc", "footnotes", "def_list",
                      "admonition", "attr_list", "md_in_html", "sane_lists")


_FORMATTERS: dict[str, object] = {}


def shared_html_formatter(lang_str: str = "", **options):
    """codehilite's ``pygments_formatter``: one Pygments ``HtmlFormatter`` per set of options,
    reused for every code block. Building one computes its whole stylesheet, which cost more
    than highlighting a typical block; a formatter keeps no state between ``highlight`` calls,
    and ``lang_str`` is not an HtmlFormatter option (codehilite passes it for custom ones),
    so the HTML is the same as with a new formatter per block."""
    key = repr(sorted(options.items()))
    formatter = _FORMATTERS.get(key)
    if formatter is None:
        from pygments.formatters import HtmlFormatter
        formatter = _FORMATTERS[key] = HtmlFormatter(**options)
    return formatter


# Where each of Python-Markdown's own inline patterns (and the footnotes extension's) can start,
# by name and class: a pattern not listed here, or listed under another class, turns the shortcut
# below off. Delimiters (emphasis) start at their own characters.
_PATTERN_STARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "backtick": ("BacktickInlineProcessor", ("`", "\\")),
    "escape": ("EscapeInlineProcessor", ("\\",)),
    "footnote": ("FootnoteInlineProcessor", ("[",)),
    "reference": ("ReferenceInlineProcessor", ("[",)),
    "link": ("LinkInlineProcessor", ("[",)),
    "image_link": ("ImageInlineProcessor", ("!",)),
    "image_reference": ("ImageReferenceInlineProcessor", ("!",)),
    "short_reference": ("ShortReferenceInlineProcessor", ("[",)),
    "short_image_ref": ("ShortImageReferenceInlineProcessor", ("!",)),
    "autolink": ("AutolinkInlineProcessor", ("<",)),
    "automail": ("AutomailInlineProcessor", ("<",)),
    "linebreak": ("SubstituteTagInlineProcessor", ("  \n",)),
    "html": ("HtmlInlineProcessor", ("<",)),
    "entity": ("HtmlInlineProcessor", ("&",)),
    "em_strong": ("DelimiterProcessor", ()),
}


def pattern_starts(patterns: Registry) -> re.Pattern | None:
    """What any of the registered inline patterns needs to find in a string before it can match,
    as one regular expression; None when a pattern is not one whose start is known."""
    starts = {"\x02"}   # a placeholder of stashed HTML: never skipped
    # Names tell "html" from "entity" (one class); the registry lists them only in its private
    # _priority, so a release without it turns the shortcut off rather than break rendering.
    priorities = getattr(patterns, "_priority", None)
    if priorities is None:
        return None
    for name in [item.name for item in priorities]:
        pattern = patterns[name]
        known = _PATTERN_STARTS.get(name)
        if known is None or type(pattern).__name__ != known[0]:
            return None
        starts.update(known[1])
        if known[0] == "DelimiterProcessor":
            starts.update(token[:1] for token in getattr(pattern, "tokens", ()))
    return re.compile("|".join(re.escape(start) for start in sorted(starts)))


class PlainTextSkippingInlineProcessor(InlineProcessor):
    """Python-Markdown's inline step, which tries every inline pattern on every string of text
    (a third of the Markdown time of a support article), except on a string in which none of them
    can start: that string would come back unchanged. Python-Markdown has no hook for this; its
    per-string step is overridden by its (private) name and called unchanged otherwise, so if a
    release renames it, this does nothing (test_markdown_render checks it is in use)."""

    starts: re.Pattern | None = None

    def run(self, tree, ancestors=None):
        self.starts = pattern_starts(self.inlinePatterns)   # extensions may have added patterns
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if self.starts is not None and not self.starts.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def make_markdown(slugify=github_slug, extensions: tuple[str, ...] = (), extension_configs: dict | None = None
                  ) -> markdown.Markdown:
    """The site's own `[markdown] extensions` come after kbgen's, so they may add syntax or
    replace a built-in's settings (their `extension_configs` win)."""
    configs = {
        "codehilite": {"css_class": "highlight", "guess_lang": False, "wrapcode": True,
                       "pygments_formatter": shared_html_formatter},
        "toc": {"slugify": slugify, "permalink": False, "toc_depth": "2-4"},
        "footnotes": {"UNIQUE_IDS": False},
    }
    for name, options in (extension_configs or {}).items():
        configs[name] = {**configs.get(name, {}), **options}
    names = list(BUILTIN_EXTENSIONS) + [e for e in extensions if e not in BUILTIN_EXTENSIONS]
    md = markdown.Markdown(extensions=[*names, KbgenExtension()], extension_configs=configs, output_format="html")
    if type(md.treeprocessors["inline"]) is InlineProcessor:   # not an extension's own replacement
        md.treeprocessors.register(PlainTextSkippingInlineProcessor(md), "inline", 20)  # Python-Markdown's own priority
    return md


def check_extensions(extensions: list[str], extension_configs: dict) -> list[tuple[str, str]]:
    """(extension, what is wrong) for each extension that cannot be loaded with its settings."""
    found = []
    for name in extensions:
        try:
            markdown.Markdown(extensions=[name], extension_configs={name: extension_configs.get(name, {})})
        except ImportError as exc:
            found.append((name, f"cannot be imported ({exc})"))
        except Exception as exc:  # a bad option: Python-Markdown raises KeyError/TypeError/ValueError
            found.append((name, f"does not accept its settings: {type(exc).__name__}: {exc}"))
    return found


def callout_title(lang: str, kind: str) -> str:
    from .ui_strings import ui_string
    return ui_string(lang, f"callout_{kind}", default=kind.capitalize())


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_INLINE_TAGS = re.compile(r"</?(?:a|strong|em|b|i|code|span|kbd|sup|sub|mark|abbr|small|s|u)\b[^>]*>")
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    without_inline = _INLINE_TAGS.sub("", fragment)
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", without_inline))).strip()


class MarkdownRenderer:
    """One reusable Python-Markdown instance (creating one per article is slow)."""

    def __init__(self, extensions: tuple[str, ...] = (), extension_configs: dict | None = None) -> None:
        self.heading_ids: set[str] = set()
        self.md = make_markdown(self._heading_id, extensions, extension_configs)

    def _heading_id(self, value: str, separator: str) -> str:
        """A repeated heading gets -1, -2… as in Hugo and GitHub (Python-Markdown would say _1),
        so anchors copied from an existing Hugo KB keep pointing at the same section."""
        base = slug = github_slug(value, separator)
        count = 0
        while slug in self.heading_ids:
            count += 1
            slug = f"{base}-{count}"
        self.heading_ids.add(slug)
        return slug

    @staticmethod
    def _unknown_syntax(source: str, rendered: str, warnings: list) -> None:
        warnings.extend(_foreign_syntax_warnings(source, rendered))

    def render(self, source_path: str, text: str) -> RenderedMarkdown:
        md = self.md
        md.reset()
        self.heading_ids = set()
        md.kbgen_source = source_path
        md.kbgen_lang = source_path.split("/", 1)[0]
        md.kbgen_links = []
        md.kbgen_warnings = []
        # Writers leave notes for each other in comments; they are not for readers. A comment in a
        # code sample was escaped by Markdown, so only raw ones match.
        body = _COMMENT.sub("", md.convert(text))
        toc = _clean_toc(md.toc_tokens)
        ids = set(re.findall(r'\sid="([^"]+)"', body))
        headings = [html_to_text(h) for h in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", body, re.S)]
        code_free = re.sub(r'<div class="highlight">.*?</div>', " ", body, flags=re.S)
        self._unknown_syntax(text, re.sub(r"<code>.*?</code>", " ", code_free, flags=re.S), md.kbgen_warnings)
        return RenderedMarkdown(
            html=body, toc=toc, heading_ids=ids, headings=headings,
            text=html_to_text(code_free) if len(code_free) < len(body) else html_to_text(body),
            links=list(md.kbgen_links), warnings=list(md.kbgen_warnings), code=code_text(body),
        )


_CODE_BLOCK = re.compile(r'<div class="highlight">(.*?)</div>', re.S)


def code_text(html: str) -> str:
    """The text of an article's code blocks (the plain-text body leaves them out)."""
    return "\n".join(html_to_text(block) for block in _CODE_BLOCK.findall(html))


# Markup of other documentation tools that Markdown prints as text: Adobe's [!UICONTROL Save] /
# [!DNL Name], include directives such as {{$include file.md}} or {% include x %}.
_FOREIGN_SYNTAX = re.compile(r"\[!([A-Z][A-Z_]+)\b[^\]\n]*\]|\{\{\$\s*([\w-]+)|\{%\s*(include|snippet)\b")


def _foreign_syntax_warnings(source: str, rendered: str) -> list[tuple[str, int | None, str]]:
    found: list[tuple[str, int | None, str]] = []
    seen: set[str] = set()
    for match in _FOREIGN_SYNTAX.finditer(html.unescape(rendered)):
        name = match.group(1) or match.group(2) or match.group(3)
        shown = f"[!{name} …]" if match.group(1) else f"{{{{${name} …}}}}" if match.group(2) else f"{{% {name} … %}}"
        if shown in seen:
            continue
        seen.add(shown)
        at = source.find(match.group(0))
        found.append((f"{shown} is not Markdown kbgen knows; it is shown as text",
                      source.count("\n", 0, at) + 1 if at >= 0 else None,
                      "add a Python-Markdown extension for it under [markdown] extensions in kbgen.toml "
                      "(the README shows a 25-line one), or rewrite it as Markdown"))
    return found


def _clean_toc(tokens: list[dict]) -> list[dict]:
    return [
        {"id": t["id"], "title": html_to_text(t.get("html") or t["name"]), "level": t["level"],
         "children": _clean_toc(t.get("children", []))}
        for t in tokens
    ]
