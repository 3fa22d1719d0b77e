"""``kbgen init`` and ``kbgen new``: starting points written for the user to edit."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .errors import KbgenError
from .structure import slugify_segment

CONFIG_TEMPLATE = '''# kbgen site configuration. Reference: the README's "Configuration" section.
title = "{title}"
base_url = "https://help.example.com/"
theme = "classic"          # classic, minimalistic or montana
default_language = "en"

[languages.en]
name = "English"
title = "{title}"

[languages.ja]
name = "日本語"
title = "{title_ja}"

[api]
url = "/api"               # where the portal's hooks reach the companion API

[search]
precache_limit_kb = 5000   # below this total size every page is cached for offline use
'''

STARTER = {
    "en/_index.md": "---\ntitle: \"Help Center\"\n---\n",
    "en/getting-started/_index.md": "---\ntitle: \"Getting started\"\ndescription: \"First steps.\"\nweight: 1\ntranslationKey: getting-started\n---\n",
    "en/getting-started/welcome.md": (
        "---\ntitle: \"Welcome\"\ndate: {date}\ntranslationKey: welcome\ndescription: \"What this help center covers.\"\n"
        "keywords: [welcome]\n---\n\nThis is your first article. Edit `content/en/getting-started/welcome.md`, "
        "then run `kbgen serve` to see the change.\n\n## Next steps\n\n- Add articles with `kbgen new \"Title\" --category getting-started`.\n"
        "- Mark staff-only articles with `internal: true`.\n\n> [!TIP]\n> Link articles with relative paths, like [this one](welcome.md#next-steps).\n"),
    "ja/_index.md": "---\ntitle: \"ヘルプセンター\"\n---\n",
    "ja/getting-started/_index.md": "---\ntitle: \"はじめに\"\ndescription: \"最初の手順です。\"\nweight: 1\ntranslationKey: getting-started\n---\n",
    "ja/getting-started/welcome.md": (
        "---\ntitle: \"ようこそ\"\ndate: {date}\ntranslationKey: welcome\ndescription: \"このヘルプセンターで扱う内容です。\"\n"
        "keywords: [ようこそ]\n---\n\n最初の記事です。`content/ja/getting-started/welcome.md` を編集し、"
        "`kbgen serve` で変更を確認してください。\n\n## 次の手順\n\n- `kbgen new \"タイトル\" --lang ja --category getting-started` で記事を追加します。\n"
        "- 社内向けの記事には `internal: true` を付けます。\n"),
}


def init_site(directory: Path, title: str = "Help Center") -> list[Path]:
    directory = Path(directory)
    if (directory / "kbgen.toml").exists():
        raise KbgenError(f"{directory / 'kbgen.toml'} already exists: this folder is already a kbgen site")
    if (directory / "content").exists() and any((directory / "content").iterdir()):
        raise KbgenError(f"{directory / 'content'} is not empty; choose a new folder or remove it first")
    today = dt.date.today().isoformat()
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "kbgen.toml"
    config.write_text(CONFIG_TEMPLATE.format(title=title, title_ja="ヘルプセンター" if title == "Help Center" else title),
                      encoding="utf-8")
    written.append(config)
    for relative, text in STARTER.items():
        path = directory / "content" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(date=today), encoding="utf-8")
        written.append(path)
    (directory / "themes").mkdir(exist_ok=True)
    (directory / ".gitignore").write_text("/output/\n/output-internal/\n/.output.spare/\n/.output-internal.spare/\n/.kbgen-cache/\n", encoding="utf-8")
    written.append(directory / ".gitignore")
    return written


def article_slug(title: str) -> str:
    slug = slugify_segment(re.sub(r"[^\w\s-]", "", title, flags=re.UNICODE))
    return re.sub(r"-{2,}", "-", slug).strip("-") or "article"


def new_article(content_dir: Path, languages, title: str, lang: str, category: str | None,
                translation_key: str | None = None, internal: bool = False) -> Path:
    if lang not in languages:
        raise KbgenError(f"--lang {lang}: not a configured language (configured: {', '.join(languages)})")
    if not title.strip():
        raise KbgenError('the title is empty: kbgen new "How to reset your password"')
    segments = [slugify_segment(p) for p in (category or "").split("/") if p.strip()]
    if any(segment in (".", "..") for segment in segments):
        raise KbgenError(f"--category {category}: write a category path such as billing/invoices, without . or ..")
    category_path = "/".join(segments)
    slug = article_slug(title)
    folder = content_dir / lang / category_path if category_path else content_dir / lang
    path = folder / f"{slug}.md"
    if path.exists():
        raise KbgenError(f"{path} already exists; choose another title or edit that file")
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {dt.date.today().isoformat()}",
             # quoted: a bare `yes`, `no` or `null` would be read back as a boolean or nothing
             f"translationKey: {json.dumps(translation_key or slug, ensure_ascii=False)}", 'description: ""', "keywords: []"]
    if internal:
        lines.append("internal: true")
    lines += ["---", "", "Write the article here.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
