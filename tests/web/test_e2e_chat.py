"""The chat in a real headless Chromium (issue 12): conversations that last, choices, controls,
small screens, dark mode, and an axe-core accessibility check. One server and one browser for
the module; the server's core is the corpus Assistant, switchable to fail or to stall so the
error and stop paths run against the real page.

Screenshots of each view at 1280 and 390 px go to tests/artifacts/ (gitignored); a curated set
is kept under docs/screenshots/ for the README.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistent.api import Assistant
from assistent.conversations import ConversationStore, gold_drafts
from grund.records import Clarification
from tests.utils import serving
from tests.web.test_e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

AXE = Path(__file__).resolve().parents[2] / "web/static/vendor/axe-core/axe.min.js"
QUESTION = "Vad beslutade socialnämnden i Strömsund om bokslutet för 2023?"
#: Fits several kommuner of the example corpus (eval/dev_questions.jsonl q046, kind "ambiguous").
AMBIGUOUS = "Gick socialnämnden med underskott 2023?"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian-paketet chromium är inte installerat"),
]

#: How the server's core behaves for the next question: "normal", "fail", "stall" or "clarify".
MODE = {"value": "normal"}


class SwitchableAssistant(Assistant):
    """The corpus Assistant (same store, model and memory), made to fail, stall or ask back on demand.

    "clarify": a question without a kommun gets the engine's real answer with a clarification
    over the kommuner of its passages (as Answer.clarify carries it); once a kommun is chosen
    the engine answers as usual, with that filter.
    """

    def __init__(self, real: Assistant):
        self.__dict__ = real.__dict__

    def ask_stream(self, question, filters=None, history=None):
        mode = MODE["value"]
        if mode == "fail":
            raise RuntimeError("testfel: svarsmotorn föll")
        if mode == "stall":
            yield "delta", "Ett svar som dröjer "
            deadline = time.monotonic() + 60
            while MODE["value"] == "stall" and time.monotonic() < deadline:
                time.sleep(0.05)
        for kind, value in super().ask_stream(question, filters=filters, history=history):
            if kind == "answer" and mode == "clarify" and not (filters and filters.kommun):
                kommuner = list(dict.fromkeys(p.kommun for p in value.passages if p.kommun))
                value = value.model_copy(
                    update={
                        "clarify": [
                            Clarification(kommun=k, line=f"Bästa stycket i {k}.", n=i + 1)
                            for i, k in enumerate(kommuner[:3])
                        ]
                    }
                )
            yield kind, value


@pytest.fixture(scope="module")
def server(assistant):
    from web.app import create_app

    MODE["value"] = "normal"
    with serving(create_app(assistant=SwitchableAssistant(assistant))) as url:
        yield url
    MODE["value"] = "normal"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A page in its own browser context that records console errors and failed requests."""

    def __init__(self, browser, base: str, **context):
        self.base = base
        self.context = browser.new_context(locale="sv-SE", viewport=context.pop("viewport", WIDE), **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"{m.text} ({m.location})")
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def ask(self, question: str):
        """Type a question, press Enter, wait for the finished answer; returns the answer locator."""
        from playwright.sync_api import expect

        page = self.page
        n = page.locator(".turn").count()
        page.locator("#fraga").fill(question)
        page.keyboard.press("Enter")
        answer = page.locator(".turn").nth(n).locator(".answer:not(.answer--streaming)")
        expect(answer).to_be_visible(timeout=60_000)
        return answer

    def shot(self, name: str, full_page: bool = True) -> None:
        """A screenshot in tests/artifacts/; a full page is taken with a viewport as tall as the
        page, so the sticky question form sits where a reader scrolled to the end sees it."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        if full_page and size:
            height = min(self.page.evaluate("document.documentElement.scrollHeight"), 4000)
            self.page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        self.page.screenshot(path=ARTIFACTS / f"{name}.png")
        if full_page and size:
            self.page.set_viewport_size(size)

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser, server):
    t = Tab(browser, server)
    yield t
    t.close()


def overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page (vendored axe, WCAG 2.1 A/AA rules)."""
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}))"
        ".violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    return result


def test_conversation_survives_reload_and_the_side_panel_reopens_it(tab):
    from playwright.sync_api import expect

    page = tab.go("/")
    tab.shot("chat-1280-start")
    first = tab.ask(QUESTION)
    expect(first.locator("a.chip").first).to_be_visible()
    assert "/c/" in page.url
    url, answer_text = page.url, first.locator(".answer__text").inner_text()
    tab.shot("chat-1280-answer")
    page.reload()
    expect(page.locator(".turn .answer__text").first).to_be_visible()
    assert page.locator(".turn .answer__text").first.inner_text() == answer_text
    assert page.url == url and page.locator(".turn").count() == 1
    follow = tab.ask("Och vilket diarienummer har ärendet?")
    # the follow-up keeps the kommun the first answer landed in
    assert all("Strömsunds kommun" in t for t in follow.locator("a.chip").all_inner_texts())
    # a new conversation, then back to the first one through the side panel
    page.locator("#ny-konversation").click()
    expect(page.locator(".turn")).to_have_count(0)
    tab.ask("Hur många föräldrar kom på ANDTS-kvällen i Gnesta i mars 2023?")
    links = page.locator(".convs__link")
    expect(links).to_have_count(2)
    links.filter(has_text="bokslutet").click()
    expect(page.locator(".turn")).to_have_count(2)
    assert page.locator(".turn .answer__text").first.inner_text() == answer_text
    assert page.url == url
    assert tab.errors == [], "no console errors during a whole conversation"


def test_clarification_buttons_re_ask_with_the_chosen_kommun(tab):
    from playwright.sync_api import expect

    page = tab.go("/")
    MODE["value"] = (
        "clarify"  # whether the engine clarifies this question is its own business (tests/assistent)
    )
    try:
        answer = tab.ask(AMBIGUOUS)
    finally:
        MODE["value"] = "normal"
    choices = answer.locator(".answer__clarify button.choice")
    expect(choices.first).to_be_visible()
    assert choices.count() >= 2
    kommun = choices.nth(1).locator(".choice__title").inner_text().split(" · ")[0]
    tab.shot("chat-1280-clarify")
    choices.nth(1).click()
    second = page.locator(".turn").nth(1)
    expect(second.locator(".answer:not(.answer--streaming)")).to_be_visible(timeout=60_000)
    expect(second.locator(".turn__filters")).to_contain_text(kommun)
    chips = second.locator("a.chip")
    expect(chips.first).to_be_visible()
    assert all(kommun in t for t in chips.all_inner_texts()), (
        "the re-asked answer cites only the chosen kommun"
    )
    assert tab.errors == []


def test_feedback_is_stored_and_exported(tab, assistant):
    from playwright.sync_api import expect

    page = tab.go("/")
    answer = tab.ask(QUESTION)
    answer.locator(".feedback__more summary").click()
    answer.locator("textarea[name=kommentar]").fill("Rätt paragraf, bra svar")
    answer.get_by_role("button", name="Bra svar").click()
    expect(answer.locator(".feedback__saved")).to_contain_text("sparat med din kommentar")
    expect(answer.get_by_role("button", name="Bra svar")).to_have_attribute("aria-pressed", "true")
    turn_id = page.locator(".turn").first.get_attribute("data-turn")
    fb = ConversationStore.for_settings(assistant.settings).feedback_for(turn_id)
    assert fb is not None and (fb.rating, fb.comment, fb.question) == (1, "Rätt paragraf, bra svar", QUESTION)
    lines, _ = gold_drafts([fb])
    assert (
        lines[0]["question"] == QUESTION
        and lines[0]["sources"][0]["paragraf"] == fb.answer.citations[0].paragraf
    )
    page.reload()
    expect(page.get_by_role("button", name="Bra svar")).to_have_attribute("aria-pressed", "true")


def test_stop_then_regenerate_and_the_form_is_disabled_while_streaming(tab):
    from playwright.sync_api import expect

    page = tab.go("/")
    MODE["value"] = "stall"
    try:
        page.locator("#fraga").fill(QUESTION)
        page.keyboard.press("Enter")
        expect(page.locator(".answer--streaming .answer__text")).to_contain_text("Ett svar som dröjer")
        expect(page.locator("#skicka")).to_be_disabled()
        expect(page.locator("#stoppa")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator(".answer--stopped")).to_contain_text("Svaret avbröts.")
    finally:
        MODE["value"] = "normal"
    expect(page.locator("#skicka")).to_be_enabled()
    expect(page.locator("#stoppa")).to_be_hidden()
    page.reload()
    expect(page.locator(".answer--stopped")).to_be_visible()  # the stop is stored, not asked again
    page.get_by_role("button", name="Generera igen").click()
    expect(page.locator(".turn .answer:not(.answer--streaming) a.chip").first).to_be_visible(timeout=60_000)
    # regenerate an answered turn: the same question is answered anew
    page.locator(".answer__tools").get_by_role("button", name="Generera igen").click()
    expect(page.locator(".turn .answer:not(.answer--streaming) a.chip").first).to_be_visible(timeout=60_000)
    assert page.locator(".turn").count() == 1
    assert tab.errors == []


def test_failed_stream_shows_an_error_and_try_again_answers(tab):
    from playwright.sync_api import expect

    page = tab.go("/")
    MODE["value"] = "fail"
    try:
        page.locator("#fraga").fill(QUESTION)
        page.keyboard.press("Enter")
        error = page.locator(".answer--error")
        expect(error).to_be_visible(timeout=30_000)
        expect(error).to_have_attribute("role", "alert")
        assert "testfel" not in error.inner_text(), "no internals in the message"
        tab.shot("chat-1280-error")
    finally:
        MODE["value"] = "normal"
    expect(page.locator("#skicka")).to_be_enabled()
    error.get_by_role("button", name="Försök igen").click()
    expect(page.locator(".turn .answer:not(.answer--streaming) a.chip").first).to_be_visible(timeout=60_000)
    # the connection itself fails (network, proxy): the same error, and no endless spinner
    page.route("**/fraga/strom/**", lambda route: route.abort())
    page.locator("#fraga").fill("Vilket diarienummer har bokslutet?")
    page.keyboard.press("Enter")
    expect(page.locator(".turn").nth(1).locator(".answer--error")).to_be_visible(timeout=30_000)
    page.unroute("**/fraga/strom/**")
    page.locator(".turn").nth(1).get_by_role("button", name="Försök igen").click()
    expect(
        page.locator(".turn").nth(1).locator(".answer:not(.answer--streaming) a.chip").first
    ).to_be_visible(timeout=60_000)


def test_copy_puts_the_answer_and_its_citations_on_the_clipboard(browser, server):
    from playwright.sync_api import expect

    tab = Tab(browser, server, permissions=["clipboard-read", "clipboard-write"])
    try:
        tab.go("/")
        answer = tab.ask(QUESTION)
        answer.get_by_role("button", name="Kopiera").click()
        expect(answer.get_by_role("button", name="Kopierat")).to_be_visible()
        copied = tab.page.evaluate("navigator.clipboard.readText()")
        first_sentence = answer.locator(".answer__text p").first.inner_text().split("[")[0].strip()[:40]
        assert first_sentence in copied
        chip = answer.locator("a.chip").first.inner_text().split("\n")[-1].strip()
        assert "Källor:" in copied and f"[1] {chip}" in copied
    finally:
        tab.close()


def test_small_screens_source_sheet_and_no_horizontal_overflow(browser, server, assistant):
    from playwright.sync_api import expect

    tab = Tab(browser, server, viewport=NARROW)
    try:
        page = tab.go("/")
        tab.shot("chat-390-start")
        assert overflow(page) == 0
        answer = tab.ask(QUESTION)
        assert overflow(page) == 0, "chat at 390 px"
        tab.shot("chat-390-answer")
        chip = answer.locator("a.chip").first
        chip.scroll_into_view_if_needed()
        y = page.evaluate("window.scrollY")
        chip.click()
        sheet = page.locator("#kalla.is-open")
        expect(sheet.locator("mark#markerat")).to_be_visible(timeout=30_000)
        box = sheet.bounding_box()
        assert box and box["width"] == NARROW["width"] and box["height"] == NARROW["height"], (
            "a full-screen sheet"
        )
        tab.shot("source-390-sheet", full_page=False)
        sheet.get_by_role("button", name="Stäng källan").click()
        expect(page.locator("#kalla")).to_be_hidden()
        assert abs(page.evaluate("window.scrollY") - y) <= 2, "back where the reader was"
        section = chip.get_attribute("href")
        doc = assistant.documents()[0][0]
        pages = {
            "source": section,
            "browse": "/bladdra",
            "browse-kommun": f"/bladdra?kommun={doc.kommun}",
            "browse-namnd": f"/bladdra?kommun={doc.kommun}&namnd={doc.namnd}",
            "document": f"/dokument/{doc.id}",
            "admin": "/admin",
            "search": "/sok?q=bokslut",
        }
        wide = {}
        for name, path in pages.items():
            tab.go(path)
            tab.shot(f"{name}-390")
            wide[name] = overflow(tab.page)
        assert wide == dict.fromkeys(pages, 0), "no horizontal overflow at 390 px"
        assert tab.errors == []
    finally:
        tab.close()


def test_dark_mode_follows_the_system_and_the_toggle(browser, server):
    from playwright.sync_api import expect

    tab = Tab(browser, server, color_scheme="dark")
    try:
        page = tab.go("/")
        tab.ask(QUESTION)
        background = "getComputedStyle(document.documentElement).backgroundColor"
        dark = page.evaluate(background)
        assert dark == "rgb(16, 20, 25)", dark
        tab.shot("chat-1280-dark")
        assert axe_violations(page) == [], "dark mode keeps its contrast"
        toggle = page.locator("#tema")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        toggle.click()
        assert page.evaluate(background) == "rgb(245, 246, 248)"
        page.reload()  # the choice is kept
        assert page.evaluate(background) == "rgb(245, 246, 248)"
        expect(page.locator("#tema")).to_have_attribute("aria-pressed", "false")
    finally:
        tab.close()


def test_no_serious_accessibility_violations(tab):
    page = tab.go("/")
    answer = tab.ask(QUESTION)
    found = {"chat": axe_violations(page)}
    answer.locator("a.chip").first.click()
    page.locator("#kalla mark#markerat").wait_for(timeout=30_000)
    found["chat-with-source"] = axe_violations(page)
    tab.shot("source-1280-panel", full_page=False)
    tab.go(answer.locator("a.chip").first.get_attribute("href") or "/")
    found["source"] = axe_violations(tab.page)
    tab.shot("source-1280")
    tab.go("/admin")
    found["admin"] = axe_violations(tab.page)
    tab.shot("admin-1280")
    tab.go("/bladdra")
    found["browse"] = axe_violations(tab.page)
    tab.shot("browse-1280")
    assert found == dict.fromkeys(found, []), found


def test_api_docs_work_offline(tab):
    from playwright.sync_api import expect

    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(tab.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab.context.route("**/*", only_this_server)
    page = tab.go("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Nämndassistenten", timeout=30_000)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page = tab.go("/redoc")
    expect(page.locator("h1").first).to_contain_text("Nämndassistenten", timeout=30_000)
    assert outside == [], outside
