"""A deterministic synthetic bilingual corpus of SearchDocs, for ranking-parity tests and for
measuring index build time and size at 1,000 / 10,000 articles without writing that many files."""

from __future__ import annotations

import hashlib
import random

from kbgen.search import SearchDoc

_EN_WORDS = """ticket tickets customer customers portal password passwords reset account login sign
security two factor authentication invoice invoices billing payment card plan subscription upgrade
downgrade cancel refund team member members invite role roles permission permissions admin agent
agents queue priority priorities sla response time email channel inbox forward address domain
chat widget live message messages notification notifications report reports export import data
csv api key keys token webhook integration integrations automation rule rules trigger triggers
macro macros tag tags status open pending solved closed merge split assign assignment group groups
knowledge base article articles category categories search filter view views dashboard metric
metrics satisfaction survey rating feedback language languages translation settings profile
avatar timezone schedule business hours holiday escalation workflow form forms field fields
custom attachment attachments upload download mobile app desktop browser keyboard shortcut
shortcuts running configured configuring organizations organization sandbox audit log logs""".split()

_JA_WORDS = """顧客 ポータル パスワード リセット アカウント ログイン セキュリティ 二段階認証 請求書
請求 支払い カード プラン サブスクリプション アップグレード 解約 返金 チーム メンバー 招待
権限 管理者 エージェント キュー 優先度 応答時間 メール チャネル 受信トレイ 転送 アドレス
ドメイン チャット ウィジェット メッセージ 通知 レポート エクスポート インポート データ
キー トークン 連携 自動化 ルール トリガー マクロ タグ ステータス 未解決 保留中 解決済み
統合 割り当て グループ ナレッジベース 記事 カテゴリー 検索 フィルター ビュー ダッシュボード
満足度 アンケート 評価 フィードバック 言語 翻訳 設定 プロフィール タイムゾーン 営業時間
休日 エスカレーション ワークフロー フォーム 添付ファイル アップロード ダウンロード モバイル
アプリ ブラウザー キーボード ショートカット 組織 監査ログ""".split()

_JA_PARTICLES = "を に が は の で と から まで する します できます".split()

_CATEGORIES = [
    ("getting-started", "Getting started", "はじめに"),
    ("ticket-system", "Ticket system", "チケットシステム"),
    ("ticket-system/customer-portal", "Ticket system › Customer portal", "チケットシステム › 顧客ポータル"),
    ("ticket-system/email-channel", "Ticket system › Email channel", "チケットシステム › メールチャネル"),
    ("billing", "Billing", "請求"),
    ("account-security", "Account security", "アカウントセキュリティ"),
    ("automations", "Automations", "自動化"),
    ("live-chat", "Live chat", "ライブチャット"),
    ("administration", "Administration", "管理"),
    ("administration/exporting-data", "Administration › Exporting data", "管理 › データのエクスポート"),
]


def _zipf_choice(rng: random.Random, words: list[str]) -> str:
    # Few words very common, many rare: like real text, which is what makes BM25 interesting.
    return words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]


def _invented_word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def _invented_kana(rng: random.Random) -> str:
    return "".join(chr(rng.randint(0x30A2, 0x30F3)) for _ in range(rng.randint(2, 5)))


def _sentence(rng: random.Random, lang: str, length: int, vocabulary: list[str]) -> str:
    words = []
    for _ in range(length):
        word = _zipf_choice(rng, vocabulary) if rng.random() < 0.9 else (
            _invented_word(rng) if lang == "en" else _invented_kana(rng))
        words.append(word)
        if lang == "ja" and rng.random() < 0.5:
            words.append(rng.choice(_JA_PARTICLES))
    return (" " if lang == "en" else "").join(words) + ("." if lang == "en" else "。")


def generate(count_per_language: int, *, seed: int = 7, languages: tuple[str, ...] = ("en", "ja")) -> dict[str, list[SearchDoc]]:
    corpus: dict[str, list[SearchDoc]] = {}
    for lang in languages:
        rng = random.Random(f"{seed}-{lang}")
        vocabulary = list(_EN_WORDS if lang == "en" else _JA_WORDS)
        rng.shuffle(vocabulary)
        docs = []
        for number in range(count_per_language):
            category, en_title, ja_title = _CATEGORIES[number % len(_CATEGORIES)]
            title = _sentence(rng, lang, rng.randint(2, 6), vocabulary).rstrip(".。")
            description = _sentence(rng, lang, rng.randint(8, 16), vocabulary)
            body = " ".join(_sentence(rng, lang, rng.randint(6, 18), vocabulary) for _ in range(rng.randint(10, 40)))
            headings = tuple(_sentence(rng, lang, rng.randint(2, 4), vocabulary).rstrip(".。") for _ in range(rng.randint(2, 5)))
            keywords = tuple(_zipf_choice(rng, vocabulary) for _ in range(rng.randint(1, 3)))
            fields = dict(
                ref=f"{lang}{number}", url=f"{lang}/{category}/article-{number}/", title=title,
                keywords=keywords, description=description, headings=headings, body=body,
                category=category, category_title=en_title if lang == "en" else ja_title,
                summary=description[:200], translation_key=f"article-{number}", lang=lang,
            )
            digest = hashlib.sha1(repr(sorted(fields.items())).encode("utf-8")).hexdigest()
            docs.append(SearchDoc(**fields, digest=digest))
        corpus[lang] = docs
    return corpus
