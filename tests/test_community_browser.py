"""The community pages in real Chromium against one server (the sample site built in all three
themes + the API on one origin): asking, answering, accepting and voting in the forum; ideas,
votes, a staff merge and a status change reaching the roadmap; the API being down; staff
moderation; and 100+ XSS payloads in every user text field never executing."""
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from conftest import build_sample_per_theme, copy_sample
from kbgen.api.db import utcnow
from live_server import api_as, live_site
from kbgen.api.features.feedback_models import FeedbackIdea
from kbgen.api.features.forum_models import ForumAnswer, ForumTopic
from kbgen.api.mailer import read_outbox
from kbgen.api.models import User
from kbgen.api.settings import Rate
from api_fixtures import PASSWORD, reconfigure, settings_for_tests

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "community"
THEMES = ("classic", "minimalistic", "montana")
PAYLOADS = [line.replace("\\n", "\n") for line in
            (REPO / "tests" / "fixtures" / "xss_payloads.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
PEOPLE = {"agent@example.com": ("Alex Agent", "agent"), "carol@example.com": ("Carol", "customer"),
          "dave@example.com": ("Dave", "customer"), "erin@example.com": ("Erin", "customer")}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("community")
    sample = copy_sample(tmp / "sample")
    site = tmp / "site"
    build_sample_per_theme(sample, site, THEMES)
    community = tmp / "community.toml"
    community.write_text("[forum]\nmoderate_first_posts = 0\n", encoding="utf-8")
    generous = {name: Rate(100_000, 60) for name in ("signin", "register", "password_reset", "submission", "rating")}
    settings = settings_for_tests(tmp, f"sqlite:///{tmp / 'api.sqlite3'}", rates=generous, source=str(community))
    # accounts a month old: not "new" accounts, so the link limit stays out of the way
    with live_site(settings, PEOPLE, site=site, age_days=30) as running:
        running.community_config = community
        yield running




class Visitor:
    """One browser (its own cookies), optionally signed in; collects script errors and dialogs."""

    def __init__(self, browser, server, email=None, width=1100, accept_dialogs=False):
        self.context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
        self.context.add_init_script("window.__xss = undefined;")
        self.page = self.context.new_page()
        self.errors, self.dialogs = [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # staff pages ask "Delete …?" with confirm(); anywhere else a dialog means a payload ran
        self.page.on("dialog", lambda dialog: dialog.accept("") if accept_dialogs else (self.dialogs.append(dialog.message), dialog.dismiss()))
        if email:
            session = self.context.request.get("/api/session")
            for _ in range(20):   # a loaded machine may answer 429 "busy" (the portal asks again too)
                if session.status != 429:
                    break
                time.sleep(float(session.headers.get("retry-after") or 1))
                session = self.context.request.get("/api/session")
            token = session.json()["csrf_token"]
            response = self.context.request.post("/api/auth/login", data={"email": email, "password": PASSWORD},
                                                 headers={"X-CSRF-Token": token, "Origin": server.url})
            assert response.ok, response.text()

    def close(self):
        self.context.close()
        assert not self.errors, self.errors


@pytest.fixture
def visitors(browser, server):
    opened = []

    def open_(email=None, **kwargs):
        visitor = Visitor(browser, server, email, **kwargs)
        opened.append(visitor)
        return visitor

    yield open_
    for visitor in opened:
        visitor.close()


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_ask_answer_accept_and_vote_in_the_forum(server, visitors):
    carol = visitors("carol@example.com").page
    carol.goto("/classic/en/community/#ask")
    carol.wait_for_selector("#kb-ask-title")
    # the categories come from the KB itself
    options = carol.eval_on_selector_all("#kb-ask-category option", "os => os.map(o => o.textContent)")
    assert "Billing" in options and "Getting started" in options
    carol.fill("#kb-ask-title", "How do I merge two customer records?")
    carol.select_option("#kb-ask-category", "ticket-system")
    carol.fill("#kb-ask-body", "We have **duplicates** after an import.")
    carol.click(".kb-forum-ask button[type=submit]")
    carol.wait_for_selector(".kb-forum-question h2:has-text('How do I merge two customer records?')")
    assert carol.locator(".kb-forum-question strong", has_text="duplicates").count() == 1
    topic_url = carol.url

    dave = visitors("dave@example.com").page
    dave.goto(topic_url.replace("/classic/", "/minimalistic/"))
    dave.wait_for_selector("#kb-answer-body")
    dave.fill("#kb-answer-body", "Open one record and use *Merge with…*.")
    dave.click(".kb-forum-answer-form button[type=submit]")
    dave.wait_for_selector(".kb-forum-answer em:has-text('Merge with')")
    assert dave.locator(".kb-forum-accept").count() == 0          # only the asker may accept

    erin = visitors("erin@example.com").page
    erin.goto(topic_url.replace("/classic/", "/montana/"))
    erin.wait_for_selector("#kb-answer-body")
    erin.fill("#kb-answer-body", "Or ask support to merge them in bulk.")
    erin.click(".kb-forum-answer-form button[type=submit]")
    erin.wait_for_selector(".kb-forum-answer:has-text('in bulk')")
    vote = erin.locator(".kb-forum-answer:has-text('Merge with') .kb-forum-vote")
    vote.click()
    erin.wait_for_selector(".kb-forum-answer:has-text('Merge with') .kb-forum-vote[aria-pressed=true]:has-text('1 vote')")

    carol.reload()
    carol.wait_for_selector(".kb-forum-answer")
    carol.locator(".kb-forum-answer:has-text('in bulk') .kb-forum-accept").click()
    carol.wait_for_selector(".kb-forum-answer.kb-is-accepted:has-text('in bulk')")
    # the accepted answer comes first, flagged, even though the other one has more votes
    first = carol.locator(".kb-forum-answer").first
    assert "in bulk" in first.inner_text() and "Accepted answer" in first.inner_text()
    shot(carol, "forum-topic-classic")
    carol.goto("/classic/en/community/#filter=solved")
    carol.wait_for_selector(".kb-community-item:has-text('merge two customer records')")
    assert carol.locator(".kb-community-item:has-text('merge two customer records') .kb-status-solved").count() == 1
    carol.goto("/classic/en/community/#filter=unanswered")
    carol.wait_for_selector("#kb-forum-filter option[value=unanswered][selected]", state="attached")
    assert carol.locator(".kb-community-item:has-text('merge two customer records')").count() == 0
    # guests read, but are asked to sign in instead of getting a form
    guest = visitors().page
    guest.goto(topic_url)
    guest.wait_for_selector(".kb-forum-answer")
    assert guest.locator("#kb-answer-body").count() == 0 and guest.locator(".kb-community-signin").count() == 1


def test_ideas_votes_staff_merge_and_status_reaching_the_roadmap(server, visitors):
    carol = visitors("carol@example.com").page
    carol.goto("/minimalistic/ja/feedback/#suggest")
    carol.wait_for_selector("#kb-idea-title")
    carol.fill("#kb-idea-title", "Calendar view for due dates")
    carol.fill("#kb-idea-body", "See all *due dates* on a calendar.")
    carol.click(".kb-idea-form button[type=submit]")
    carol.wait_for_selector(".kb-idea-detail h2:has-text('Calendar view for due dates')")
    carol.click(".kb-idea-detail .kb-idea-vote")
    carol.wait_for_selector(".kb-idea-detail .kb-idea-vote[aria-pressed=true]")
    dave_api = api_as(server, "dave@example.com")
    duplicate = dave_api.post("/api/feedback/ideas", json={"title": "Due-date calendar", "body": "Same idea"}).json()["id"]
    dave_api.put(f"/api/feedback/ideas/{duplicate}/vote")

    erin = visitors("erin@example.com").page
    erin.goto("/classic/en/feedback/#sort=new")
    erin.wait_for_selector(".kb-idea:has-text('Due-date calendar')")
    for title in ("Due-date calendar", "Calendar view for due dates"):
        erin.locator(f".kb-idea:has-text('{title}') .kb-idea-vote").click()
        erin.wait_for_selector(f".kb-idea:has-text('{title}') .kb-idea-vote[aria-pressed=true]")
    votes = erin.locator(".kb-idea:has-text('Due-date calendar') .kb-idea-vote")
    assert "2" in votes.inner_text()
    votes.click()                                               # unvote, then vote again: still counted once
    erin.wait_for_selector(".kb-idea:has-text('Due-date calendar') .kb-idea-vote[aria-pressed=false]")
    votes.click()
    erin.wait_for_selector(".kb-idea:has-text('Due-date calendar') .kb-idea-vote[aria-pressed=true]")

    agent = visitors("agent@example.com", accept_dialogs=True).page
    agent.goto("/agent/community/#feedback")
    card = agent.locator(f"article[data-idea='{duplicate}']")
    card.wait_for()
    card.locator("summary").click()
    target = carol.url.split("#idea=")[1]
    card.locator("select[name=into]").select_option(target)
    card.locator("button:has-text('Merge')").click()
    agent.wait_for_selector("text=Merged; the voters moved")
    kept = agent.locator(f"article[data-idea='{target}']")
    assert "3 votes" in kept.inner_text()     # carol and erin, plus dave from the duplicate; erin voted both but counts once
    kept.locator("select[name=status]").select_option("planned")
    kept.locator("textarea[name=note]").fill("Scheduled for **spring**.")
    kept.locator("button:has-text('Save status')").click()
    agent.wait_for_selector("text=Idea updated")

    guest = visitors().page
    guest.goto("/montana/en/roadmap/")
    planned = guest.locator(".kb-roadmap-planned")
    planned.locator("li:has-text('Calendar view for due dates')").wait_for()
    assert planned.locator("li:has-text('Calendar view for due dates') strong", has_text="spring").count() == 1
    assert guest.locator(".kb-roadmap-planned li:has-text('Due-date calendar')").count() == 0
    shot(guest, "roadmap-montana")
    guest.click(".kb-roadmap-planned a:has-text('Calendar view')")
    guest.wait_for_selector(".kb-idea-note:has-text('spring')")
    assert guest.locator(".kb-idea-history li").count() == 1
    recipients = sorted(m["To"] for m in read_outbox(server.app.state.kb.settings) if "Calendar view" in m["Subject"])
    assert recipients == ["carol@example.com", "dave@example.com", "erin@example.com"]
    guest.goto(f"/classic/en/feedback/#idea={duplicate}")
    guest.wait_for_selector(".kb-idea-merged:has-text('Calendar view for due dates')")


def test_every_page_in_every_theme_and_language_and_on_a_phone(server, visitors):
    agent = api_as(server, "agent@example.com")
    agent.post("/api/forum/topics", json={"title": "Welcome to the community", "body": "Ask away.", "category": "getting-started"})
    agent.post("/api/forum/topics", json={"title": "コミュニティへようこそ", "body": "質問をどうぞ。", "category": "getting-started", "lang": "ja"})
    idea = agent.post("/api/feedback/ideas", json={"title": "Offline mode for the mobile app", "body": "Work on the train."}).json()["id"]
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "in_progress"})
    for theme in THEMES:
        for lang in ("en", "ja"):
            for width in (1100, 375):
                visitor = visitors(width=width)
                page = visitor.page
                for app, ready in (("community", ".kb-community-head"), ("feedback", ".kb-community-head"), ("roadmap", ".kb-roadmap")):
                    page.goto(f"/{theme}/{lang}/{app}/")
                    page.wait_for_selector(f"[data-kb-mount={app}] {ready}")
                    assert page.locator(".kb-app-loading").count() == 0
                    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                    assert overflow <= 1, f"{theme}/{lang}/{app} is {overflow}px too wide at {width}px"
                    if width == 1100 or app == "feedback":
                        shot(page, f"{theme}-{lang}-{app}-{width}")
                texts = page.inner_text("[data-kb-mount=roadmap]")
                assert ("対応中" in texts) if lang == "ja" else ("In progress" in texts)


def test_when_the_api_is_down_reads_say_so_and_writes_wait_in_the_queue(server, visitors):
    guest = visitors()
    guest.page.route("**/api/**", lambda route: route.abort())
    for app in ("community", "feedback", "roadmap"):
        guest.page.goto(f"/classic/en/{app}/")
        guest.page.wait_for_selector(f"[data-kb-mount={app}] .kb-notice-error")
        assert "cannot be reached right now" in guest.page.inner_text(f"[data-kb-mount={app}]")
    shot(guest.page, "api-down")

    topic = api_as(server, "agent@example.com").post(
        "/api/forum/topics", json={"title": "Offline answers", "body": "Answer me offline", "category": "billing"}).json()["id"]
    dave = visitors("dave@example.com").page
    dave.goto(f"/classic/en/community/#topic={topic}")
    dave.wait_for_selector("#kb-answer-body")
    dave.context.set_offline(True)
    dave.fill("#kb-answer-body", "Written on a plane.")
    dave.click(".kb-forum-answer-form button[type=submit]")
    dave.wait_for_selector("text=You are offline")
    dave.context.set_offline(False)
    dave.evaluate("window.dispatchEvent(new Event('online'))")
    dave.wait_for_selector(".kb-forum-answer:has-text('Written on a plane.')", timeout=15000)
    dave.reload()
    dave.wait_for_selector(".kb-forum-answer")
    with server.app.state.kb.sessions() as db:
        sent = db.scalars(select(ForumAnswer).where(ForumAnswer.topic_id == topic)).all()
    assert [a.body for a in sent] == ["Written on a plane."]


def test_first_posts_wait_in_the_queue_until_staff_approve_them(server, visitors):
    reconfigure(server.app, server.community_config, "[forum]\nmoderate_first_posts = 1\n")
    try:
        with server.app.state.kb.sessions() as db:
            db.add(User(email="newbie@example.com", name="Newbie", password_hash=server.hashed))
            db.commit()
        newbie = visitors("newbie@example.com").page
        newbie.goto("/classic/en/community/#ask")
        newbie.wait_for_selector("#kb-ask-title")
        newbie.fill("#kb-ask-title", "My very first question")
        newbie.select_option("#kb-ask-category", "billing")
        newbie.fill("#kb-ask-body", "Hello everyone")
        newbie.click(".kb-forum-ask button[type=submit]")
        newbie.wait_for_selector("text=waiting for approval")
        guest = visitors().page
        guest.goto("/classic/en/community/#q=very+first")
        guest.wait_for_selector(".kb-community-head")
        assert guest.locator(".kb-community-item").count() == 0

        agent = visitors("agent@example.com", accept_dialogs=True).page
        agent.goto("/agent/community/")
        held = agent.locator("article:has-text('My very first question')")
        held.wait_for()
        held.locator("button:has-text('Approve')").click()
        agent.wait_for_selector("text=Topic published.")
        guest.reload()
        guest.wait_for_selector(".kb-community-item:has-text('My very first question')")
        # staff pin and lock it from the topic page
        agent.goto("/agent/community/#topics")
        row = agent.locator("article:has-text('My very first question')")
        row.locator("button:text-is('Pin')").click()
        agent.wait_for_selector("text=Topic pinned.")
        agent.locator("article:has-text('My very first question') button:text-is('Lock')").click()
        agent.wait_for_selector("text=Topic locked.")
        guest.reload()
        item = guest.locator(".kb-community-item:has-text('My very first question')")
        item.wait_for()
        assert "Pinned" in item.inner_text() and "Locked" in item.inner_text()
        # block the account from the moderation page: it can no longer post
        agent.goto("/agent/community/#blocks")
        agent.fill("#block-email", "newbie@example.com")
        agent.click("text=Block account")
        agent.wait_for_selector("td:has-text('newbie@example.com')")
        newbie.goto("/classic/en/community/#ask")
        newbie.reload()
        newbie.wait_for_selector("#kb-ask-title")
        newbie.fill("#kb-ask-title", "Another one")
        newbie.select_option("#kb-ask-category", "billing")
        newbie.fill("#kb-ask-body", "Hello again")
        newbie.click(".kb-forum-ask button[type=submit]")
        newbie.wait_for_selector(".kb-form-error:has-text('may not post')")
    finally:
        reconfigure(server.app, server.community_config, "[forum]\nmoderate_first_posts = 0\n")


def test_staff_pages_need_a_staff_session(server, visitors):
    guest = visitors().page
    response = guest.goto("/agent/community/")
    assert response.status == 401 and guest.locator("#signin").count() == 1
    customer = visitors("carol@example.com").page
    assert customer.goto("/agent/community/").status == 403
    assert "Support inbox" not in customer.content()


# ---- XSS: every payload in every user text field, on every page that shows it ----

UNSAFE_MARKUP = """(root) => {
  const found = [];
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(`${el.tagName} ${attr.name}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data', 'background'].includes(attr.name)) {
        // what the browser would really load or run: the URL as it resolves it
        let protocol = 'invalid:';
        try { protocol = new URL(attr.value, document.baseURI).protocol; } catch (error) { /* not a URL: nothing loads */ }
        if (['javascript:', 'vbscript:', 'data:'].includes(protocol)) found.push(`${el.tagName} ${attr.name}=${attr.value}`);
      }
      if (attr.name === 'style' && el.closest('.kb-community-text, .body')) found.push(`${el.tagName} style in user text`);
    }
    if (el.closest('.kb-community-text, .kb-roadmap-note, .body') &&
        ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'STYLE', 'FORM', 'INPUT', 'IMG', 'VIDEO', 'AUDIO', 'BASE', 'META', 'LINK', 'TEMPLATE', 'DETAILS'].includes(el.tagName.toUpperCase())) {
      found.push(`${el.tagName} inside user text`);
    }
  }
  return found;
}"""


def assert_nothing_ran(visitor, where):
    page = visitor.page
    page.wait_for_timeout(300)      # onerror/onload handlers of broken images fire asynchronously
    assert page.evaluate("window.__xss") is None, f"a payload ran on {where}"
    assert not visitor.dialogs, f"a payload opened a dialog on {where}: {visitor.dialogs}"
    for mount in page.query_selector_all("[data-kb-mount], #staff-view"):
        unsafe = mount.evaluate(UNSAFE_MARKUP)
        assert not unsafe, f"unsafe markup on {where}: {unsafe[:5]}"


def test_xss_payloads_in_every_field_never_execute(server, visitors):
    assert len(PAYLOADS) >= 100
    app = server.app
    with app.state.kb.sessions() as db:   # payloads as display names too
        hashed = server.hashed
        month_ago = utcnow() - timedelta(days=30)
        for n, payload in enumerate(PAYLOADS[:20]):
            db.add(User(email=f"xss{n}@example.com", name=payload[:120], password_hash=hashed, created_at=month_ago))
        db.commit()
    writers = [api_as(server, f"xss{n}@example.com") for n in range(20)]
    agent = api_as(server, "agent@example.com")
    holder = agent.post("/api/forum/topics", json={"title": "XSS answers", "body": "all payloads answer here", "category": "xss"}).json()["id"]
    board = agent.post("/api/feedback/ideas", json={"title": "XSS comments", "body": "all payloads comment here"}).json()["id"]

    def submit(n: int) -> tuple[str, str, bool]:
        payload, writer = PAYLOADS[n], writers[n % len(writers)]
        response = writer.post("/api/forum/topics", json={"title": payload[:200], "body": payload, "category": payload[:200], "lang": "en"})
        category_taken = response.status_code == 201
        if response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "category":
            response = writer.post("/api/forum/topics", json={"title": payload[:200], "body": payload, "category": "xss-topics"})
        assert response.status_code == 201, (payload, response.text)
        assert writer.post(f"/api/forum/topics/{holder}/answers", json={"body": payload}).status_code == 201
        idea = writer.post("/api/feedback/ideas", json={"title": payload[:200], "body": payload})
        assert idea.status_code == 201, (payload, idea.text)
        assert writer.post(f"/api/feedback/ideas/{board}/comments", json={"body": payload}).status_code == 201
        status = ("planned", "in_progress", "done")[n % 3]
        assert agent.patch(f"/api/agent/feedback/ideas/{idea.json()['id']}", json={"status": status, "note": payload}).status_code == 200
        return response.json()["id"], idea.json()["id"], category_taken

    with ThreadPoolExecutor(max_workers=4) as pool:   # the writers are independent browsers
        results = list(pool.map(submit, range(len(PAYLOADS))))
    topic_ids = [r[0] for r in results]
    idea_ids = [r[1] for r in results]
    categories_accepted = sum(r[2] for r in results)
    assert categories_accepted > 10            # payload category names reach the category list too
    with app.state.kb.sessions() as db:
        assert db.scalar(select(ForumTopic.title).where(ForumTopic.id == topic_ids[0])) == PAYLOADS[0]   # stored raw
        db.execute(update(FeedbackIdea).where(FeedbackIdea.id.in_(idea_ids)).values(status_changed_at=utcnow()))
        db.commit()

    guest = visitors()
    page = guest.page
    for listing in range(1, 8):
        page.goto(f"/classic/en/community/#page={listing}")
        page.wait_for_selector(".kb-community-head")
        assert_nothing_ran(guest, f"topic list page {listing}")
    page.goto("/classic/en/community/#category=xss")
    page.wait_for_selector(".kb-community-head")
    for topic in [holder] + topic_ids:
        page.evaluate("id => { location.hash = 'topic=' + id; }", topic)
        page.wait_for_selector(f".kb-forum-question[data-topic='{topic}']")
    page.evaluate("id => { location.hash = 'topic=' + id; }", holder)
    page.wait_for_selector(".kb-forum-answer >> nth=100")
    assert_nothing_ran(guest, "the topic pages")
    for sort in ("top", "new", "trending"):
        page.goto(f"/montana/en/feedback/#sort={sort}")
        page.wait_for_selector(".kb-idea")
        assert_nothing_ran(guest, f"the idea list sorted by {sort}")
    for idea in [board] + idea_ids:
        page.evaluate("id => { location.hash = 'idea=' + id; }", idea)
        page.wait_for_selector(f".kb-idea-detail[data-idea='{idea}']")
    page.evaluate("id => { location.hash = 'idea=' + id; }", board)
    page.wait_for_selector(".kb-idea-comment >> nth=100")
    assert_nothing_ran(guest, "the idea pages")
    page.goto("/minimalistic/ja/roadmap/")
    page.wait_for_selector(".kb-roadmap-note >> nth=40", state="attached")
    assert_nothing_ran(guest, "the roadmap")
    shot(page, "xss-roadmap")

    staff = visitors("agent@example.com")
    for view in ("#queue", "#topics", f"#topic/{holder}", "#feedback", f"#idea/{board}", "#blocks"):
        staff.page.goto(f"/agent/community/{view}")
        staff.page.wait_for_selector("#staff-view h2")
        staff.page.wait_for_timeout(200)
        assert_nothing_ran(staff, f"the staff page {view}")


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in result.response["violations"]]


def test_community_pages_pass_axe_in_every_theme(server, visitors):
    agent = api_as(server, "agent@example.com")
    topic = agent.post("/api/forum/topics", json={"title": "Accessible topic", "body": "Body with `code`", "category": "billing"}).json()["id"]
    agent.post(f"/api/forum/topics/{topic}/answers", json={"body": "An *answer*."})
    idea = agent.post("/api/feedback/ideas", json={"title": "Accessible idea", "body": "Please."}).json()["id"]
    agent.patch(f"/api/agent/feedback/ideas/{idea}", json={"status": "planned", "note": "Soon."})
    problems = []
    for theme in THEMES:
        page = visitors("dave@example.com").page
        for path, ready in ((f"/{theme}/en/community/", ".kb-community-item"), (f"/{theme}/en/community/#topic={topic}", ".kb-forum-answer"),
                            (f"/{theme}/ja/feedback/", ".kb-idea"), (f"/{theme}/en/feedback/#idea={idea}", ".kb-idea-note"),
                            (f"/{theme}/ja/roadmap/", ".kb-roadmap li")):
            page.goto(path)
            page.wait_for_selector(ready)
            problems += [f"{path}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)
