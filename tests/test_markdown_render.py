"""Markdown as KB writers use it. Link resolution in built pages is covered in test_render.py."""
from __future__ import annotations

import re

import pytest

from conftest import tags
from markdown.treeprocessors import InlineProcessor

from kbgen.markdown_render import FILE_PREFIX, LINK_PREFIX, REF_PREFIX, SITE_PREFIX, MarkdownRenderer, github_slug


@pytest.fixture(scope="module")
def md():
    renderer = MarkdownRenderer()
    return lambda text, path="en/guide/a.md": renderer.render(path, text)


@pytest.mark.parametrize("heading, expected", [
    ("顧客ポータルの設定", "顧客ポータルの設定"),
    ("Hello, World!", "hello-world"),
    ("API v2.0 (beta)", "api-v20-beta"),
    ("Two  spaces", "two--spaces"),
    ("snake_case and-dash", "snake_case-and-dash"),
    ("Ünïcödé Straße", "ünïcödé-straße"),
    ("メール転送 (IMAP) の設定", "メール転送-imap-の設定"),
    ("<code>kbgen build</code> options", "kbgen-build-options"),
])
def test_heading_ids_follow_github_and_hugo(heading, expected):
    assert github_slug(heading) == expected


def test_japanese_heading_gets_a_japanese_id_and_toc_entry(md):
    out = md("## 顧客ポータルの設定\n\ntext\n\n### 招待 *メール*\n", "ja/a.md")
    assert '<h2 id="顧客ポータルの設定">' in out.html
    assert out.toc == [{"id": "顧客ポータルの設定", "title": "顧客ポータルの設定", "level": 2,
                        "children": [{"id": "招待-メール", "title": "招待 メール", "level": 3, "children": []}]}]
    assert {"顧客ポータルの設定", "招待-メール"} <= out.heading_ids


def test_ids_are_stable_between_renders_and_custom_ids_win(md):
    text = "## Setup {#custom-id}\n\n## Setup\n\n## Other\n"
    first, second = md(text), md(text)
    assert first.html == second.html
    ids = re.findall(r'<h2 id="([^"]+)"', first.html)
    assert ids == ["custom-id", "setup", "other"]


def test_repeated_headings_are_numbered_like_hugo(md):
    out = md("## Steps\n\n## Steps\n\n### Steps\n\n## Steps-1 and more\n")
    assert re.findall(r'<h[23] id="([^"]+)"', out.html) == ["steps", "steps-1", "steps-2", "steps-1-and-more"]
    assert [entry["id"] for entry in out.toc] == ["steps", "steps-1", "steps-1-and-more"]
    again = md("## Steps\n")
    assert '<h2 id="steps">' in again.html, "numbering starts afresh for every article"


def test_tables(md):
    out = md("| Plan | Price |\n|---|--:|\n| Pro | 10 |\n")
    assert "<table" in out.html and "<th>Plan</th>" in out.html
    assert re.search(r'<td[^>]*>10</td>', out.html)


def test_fenced_code_is_highlighted_with_span_classes(md):
    out = md("```python\ndef answer():\n    return 42\n```\n")
    assert '<div class="highlight">' in out.html
    assert '<span class="k">def</span>' in out.html
    assert '<span class="mi">42</span>' in out.html
    assert "return" not in out.text, "code stays out of the plain text used for search summaries"


def test_code_blocks_sharing_one_formatter_give_the_html_of_a_new_formatter_per_block():
    """One Pygments formatter serves every block (speed); the HTML must be what codehilite's own
    formatter-per-block gives, whatever the language, highlighted lines or order of blocks."""
    source = ("```python\nimport os\nprint(os.sep)\n```\n\n"
              "```json hl_lines=\"2\"\n{\"a\": 1,\n \"b\": [true, null]}\n```\n\n"
              "```\nplain text <b>\n```\n\n```yaml\nkey: value  # note\n```\n\n"
              "```python\nclass A:\n    pass\n```\n")
    shared = MarkdownRenderer()
    per_block = MarkdownRenderer(extension_configs={"codehilite": {"pygments_formatter": "html"}})
    first = shared.render("en/a.md", source).html
    assert first.count('class="highlight"') == 5 and '<span class="hll">' in first
    assert first == per_block.render("en/a.md", source).html
    assert shared.render("en/a.md", source).html == first, "the shared formatter keeps nothing between uses"


def test_unknown_language_fence_is_still_a_code_block(md):
    out = md("```nosuchlang\n<b>x</b>\n```\n")
    assert "&lt;b&gt;x&lt;/b&gt;" in out.html and "<b>x</b>" not in out.html


def test_footnotes(md):
    out = md("Claim[^src].\n\n[^src]: The source.\n")
    anchors = [a["href"] for a in tags(out.html, "a")]
    assert "#fn:src" in anchors and "#fnref:src" in anchors
    assert 'id="fn:src"' in out.html


def test_definition_lists(md):
    out = md("SLA\n: Service level agreement\n")
    assert "<dl>\n<dt>SLA</dt>\n<dd>Service level agreement</dd>\n</dl>" in out.html


def test_admonitions(md):
    out = md('!!! warning "Before you start"\n    Back up your data.\n')
    assert '<div class="admonition warning">' in out.html
    assert '<p class="admonition-title">Before you start</p>' in out.html


@pytest.mark.parametrize("kind, title", [("NOTE", "Note"), ("TIP", "Tip"), ("IMPORTANT", "Important"),
                                         ("WARNING", "Warning"), ("CAUTION", "Caution")])
def test_github_callouts(md, kind, title):
    out = md(f"> [!{kind}]\n> Keep **this** in mind.\n> Second line.\n\nAfter.\n")
    box = tags(out.html, "div")[0]
    assert box["class"] == f"callout callout-{kind.lower()}"
    assert f'<p class="callout-title">{title}</p>' in out.html
    assert "<strong>this</strong>" in out.html and "[!" not in out.html
    assert out.html.index("Second line") < out.html.index("</div>") < out.html.index("After.")


def test_callout_with_own_title_and_plain_blockquote(md):
    out = md("> [!TIP] Shortcut\n> Press K.\n\n> Just a quote.\n")
    assert '<p class="callout-title">Shortcut</p>' in out.html
    assert "<blockquote>\n<p>Just a quote.</p>\n</blockquote>" in out.html


def test_callout_title_is_localized_in_japanese(md):
    out = md("> [!NOTE]\n> 本文\n\n> [!WARNING]\n> 本文\n", "ja/a.md")
    assert re.findall(r'<p class="callout-title">([^<]*)</p>', out.html) == ["メモ", "警告"]


def test_raw_html_passes_through(md):
    out = md('<details><summary>More</summary>\n\nHidden text\n\n</details>\n\n<kbd>Ctrl</kbd>+<kbd>K</kbd>\n')
    assert "<details><summary>More</summary>" in out.html
    assert "<kbd>Ctrl</kbd>" in out.html


def test_relative_links_become_placeholders_and_are_recorded(md):
    out = md("[a](other.md) [b](../billing/plans.md#prices) [c](sub/%E6%97%A5.md) [f](files/guide.pdf) "
             "[s](/en/search.html) [e](https://example.com/x.md) [m](mailto:a@b.c) [h](#here)\n")
    found = {a.get("href") for a in tags(out.html, "a")}
    assert f"{LINK_PREFIX}en/guide/other.md" in found
    assert f"{LINK_PREFIX}en/billing/plans.md#prices" in found
    assert f"{LINK_PREFIX}en/guide/sub/日.md" in found
    assert f"{FILE_PREFIX}en/guide/files/guide.pdf" in found
    assert f"{SITE_PREFIX}en/search.html" in found
    assert {"https://example.com/x.md", "mailto:a@b.c", "#here"} <= found
    kinds = {(link.kind, link.target, link.anchor) for link in out.links}
    assert ("page", "en/billing/plans.md", "prices") in kinds
    assert ("file", "en/guide/files/guide.pdf", None) in kinds
    assert all(link.target != "https://example.com/x.md" for link in out.links)


def test_images_next_to_the_article_are_files(md):
    out = md("![Screen](screen.png)\n")
    assert tags(out.html, "img")[0]["src"] == f"{FILE_PREFIX}en/guide/screen.png"


def test_hugo_ref_shortcodes(md):
    out = md('See [plans]({{< ref "billing/plans.md" >}}) and [x]({{< relref "y.md#z" >}}).\n')
    found = [a["href"] for a in tags(out.html, "a")]
    assert found == [f"{REF_PREFIX}billing/plans.md", f"{REF_PREFIX}y.md#z"]
    assert [(l.kind, l.target, l.anchor) for l in out.links] == [("ref", "billing/plans.md", None), ("ref", "y.md", "z")]


def test_relref_to_an_anchor_of_the_same_page(md):
    out = md('## Set up\n\nSee [above]({{< relref "#set-up" >}}).\n')
    assert [a["href"] for a in tags(out.html, "a")] == ["#set-up"] and out.links == []


def test_email_autolinks_and_mailto_are_mail_links_not_content_links(md):
    import html as html_module
    out = md("Write to <support@example.com> or [sales](mailto:sales@example.com).\n")
    assert [html_module.unescape(a["href"]) for a in tags(out.html, "a")] == \
        ["mailto:support@example.com", "mailto:sales@example.com"]
    assert out.links == []


def test_hugo_highlight_shortcode_and_unsupported_shortcodes(md):
    out = md('{{< highlight go >}}\nfunc main() {}\n{{< /highlight >}}\n\n{{< youtube abc123 >}}\n\nText.\n')
    assert '<span class="kd">func</span>' in out.html
    assert "youtube" not in out.html and "{{" not in out.html
    [(message, line, hint)] = out.warnings
    assert "youtube" in message and line == 5 and "[markdown] extensions" in hint


def test_plain_text_and_headings_for_search(md):
    out = md("## Install\n\nRun the <em>installer</em> &amp; wait.\n")
    assert out.headings == ["Install"]
    assert out.text == "Install Run the installer & wait."


def test_html_comments_are_writers_notes_and_never_published(md):
    out = md("<!-- staff: refund loophole -->\n\nText <!-- inline note --> here.\n\n"
                    "```html\n<!-- shown as code -->\n```\n")
    assert "loophole" not in out.html and "inline note" not in out.html
    assert "&lt;!-- shown as code --&gt;" in out.html, "comments inside code samples stay"
    assert "Text" in out.html and "here." in out.html


def test_markup_of_other_tools_left_as_text_is_warned_about_once_with_its_line(md):
    out = md("Intro.\n\nClick [!UICONTROL Save] and [!UICONTROL Close] in [!DNL Workfront].\n\n"
             "{{$include /help/_includes/note.md}}\n\n`[!UICONTROL in code]` is fine.\n")
    assert [(message.split(" is ")[0], line) for message, line, _ in out.warnings] == [
        ("[!UICONTROL …]", 3), ("[!DNL …]", 3), ("{{$include …}}", 5)]
    assert all("[markdown] extensions" in hint for _, _, hint in out.warnings)
    assert md("> [!NOTE]\n> A callout.\n").warnings == []


# One construct per paragraph: each paragraph is one string for the inline step, so a start
# character missing from the shortcut's list leaves exactly that construct unrendered.
INLINE_SYNTAX = """\
Plain prose with no markup at all, and 日本語の文章も。

`code` and ``double `tick` code``

version 1\\.0, escaped

a footnote[^1]

[inline](other.md "title")

[reference][ref] and [short ref]

![image](pic.png)

![ref image][ref]

<https://example.com/x>

<help@example.com>

<span class="x">inline html</span>

AT&T &copy; &#169;

**strong** and *em*

__strong__ and _em_

line ending in two spaces  
next line

[ref]: https://example.com/ref
[short ref]: https://example.com/short
[^1]: The note, in plain words.
"""


def test_strings_without_inline_markup_skip_the_patterns_and_render_the_same():
    renderer = MarkdownRenderer()
    assert type(renderer.md.treeprocessors["inline"]).__name__ == "PlainTextSkippingInlineProcessor"
    assert renderer.md.treeprocessors["inline"].starts is None  # computed per run: extensions may add patterns
    fast = renderer.render("en/guide/a.md", INLINE_SYNTAX).html
    assert renderer.md.treeprocessors["inline"].starts is not None
    stock = MarkdownRenderer()
    stock.md.treeprocessors.register(InlineProcessor(stock.md), "inline", 20)
    assert fast == stock.render("en/guide/a.md", INLINE_SYNTAX).html
    for rendered in ("<code>code</code>", "<strong>strong</strong>", "<em>em</em>", "AT&amp;T &copy;", "<br>", "version 1.0, escaped",
                     '<span class="x">', '<a href="&#109;&#97;', "<img", 'href="https://example.com/ref"'):
        assert rendered in fast


def test_an_extension_with_its_own_inline_pattern_turns_the_skipping_off():
    # nl2br's pattern is a bare newline, which the shortcut does not know to look for
    renderer = MarkdownRenderer(extensions=("nl2br",))
    html = renderer.render("en/guide/a.md", "first line\nsecond line\n").html
    assert renderer.md.treeprocessors["inline"].starts is None
    assert html == "<p>first line<br>\nsecond line</p>"
