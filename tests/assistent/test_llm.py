"""The generative path end to end: LangChain client → OpenAI-compatible server on loopback → verifier.

Three kinds of server: llama-cpp-python's real server with the small GGUF model fetched by
scripts/fetch-llm.sh (what a user's vLLM/Ollama/llama.cpp endpoint looks like), a "liar"
written here that streams a fixed, unfaithful answer, and a closed port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistent.errors import ModelError
from assistent.llm import format_sources, generate_stream, source_text
from assistent.prompts import CANNOT_ANSWER, VERIFY_FAILED
from assistent.records import Answer, Passage
from assistent.settings import LLMSettings
from assistent.verify import cited_numbers, verify_answer
from tests.utils import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
MODEL_ALIAS = "qwen2.5-coder-0.5b"
# Answered by the corpus (Gnesta kallelse: 120 parents came on 15 March 2023), so the
# extractive answer does not abstain and the LLM is asked.
QUESTION = "Hur många föräldrar kom på ANDTS-kvällen i Gnesta i mars 2023?"
VERIFY_FAILED_START = VERIFY_FAILED.split("(")[0]

PASSAGE = Passage(
    kommun="Strömsunds kommun",
    namnd="Socialnämnden",
    datum="2024-02-21",
    paragraf="§ 23",
    diarienummer="VSF.2024.8",
    rubrik="Avgift för hemsjukvård",
    fil="003.txt",
    text="Socialnämnden föreslår kommunfullmäktige att höja avgiften för hemsjukvård "
    "från 300 kronor till 400 kronor per månad.",
)



def _ask(settings, question: str = QUESTION) -> tuple[list[tuple[str, object]], Answer]:
    """All events of one streamed question and the final Answer."""
    from assistent.api import Assistant

    events = list(Assistant(settings).ask_stream(question))
    kind, final = events[-1]
    assert kind == "answer" and isinstance(final, Answer)
    return events[:-1], final


def _with_llm(corpus_settings, base_url: str, model: str, **kw):
    llm = LLMSettings(base_url=base_url, model=model, max_tokens=150, timeout_s=300, **kw)
    return corpus_settings.model_copy(update={"llm": llm})


# ------------------------------------------------------------------ prompt (no server)
def test_source_text_carries_the_label_the_verifier_checks_against():
    text = source_text(PASSAGE)
    assert text.splitlines()[0] == (
        "Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8 — Avgift för hemsjukvård"
    )
    # the model may take the date, § and diarienummer from the label line
    answer = "Beslutet fattades 2024-02-21 i § 23 (VSF.2024.8) och avgiften blir 400 kronor [1]."
    assert verify_answer(answer, [text]).ok
    assert not verify_answer(answer, [PASSAGE.text]).ok


def test_format_sources_numbers_each_passage():
    block = format_sources([PASSAGE, PASSAGE.model_copy(update={"text": "Andra källan."})])
    assert block.startswith("[1] Strömsunds kommun")
    assert "\n\n[2] Strömsunds kommun" in block and block.endswith("Andra källan.")


# ------------------------------------------------------------------ a fake server that lies
class _ScriptedServer:
    """An OpenAI-compatible chat endpoint on loopback that streams ``reply`` as SSE chunks."""

    def __init__(self, reply: str):
        self.reply = reply
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = outer.reply.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    self._event({"role": "assistant", "content": piece}, None)
                self._event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, delta: dict, finish: str | None):
                chunk = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "liar",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_generate_stream_sends_numbered_sources_and_streams_tokens():
    with _ScriptedServer("Avgiften blir 400 kronor per månad [1].") as server:
        settings = LLMSettings(base_url=server.base_url, model="liar", max_tokens=77)
        tokens = list(generate_stream(settings, "Vad kostar hemsjukvården?", [PASSAGE], ["Tidigare fråga?"]))
    assert "".join(tokens) == "Avgiften blir 400 kronor per månad [1]."
    assert len(tokens) == 7
    (request,) = server.requests
    assert request["stream"] is True and request["model"] == "liar"
    # "max_tokens", the name every OpenAI-compatible server knows (llama.cpp ignores
    # "max_completion_tokens" and would generate until its context is full)
    assert request["max_tokens"] == 77
    system, user = request["messages"]
    assert system["role"] == "system" and "[n]" in system["content"]
    assert "[1] Strömsunds kommun · Socialnämnden" in user["content"]
    assert "Vad kostar hemsjukvården?" in user["content"] and "Tidigare fråga?" in user["content"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply, reason",
    [
        ("Det kom 987 654 föräldrar till ANDTS-kvällen [1].", "talet 987654"),
        ("Det kom 120 föräldrar till ANDTS-kvällen [9].", "källa [9]"),
        ("Det kom 120 föräldrar till ANDTS-kvällen.", "påstående utan källa"),
    ],
)
def test_unverifiable_answer_is_replaced_by_the_extractive_one(corpus_settings, assistant, reply, reason):
    with _ScriptedServer(reply) as server:
        deltas, final = _ask(_with_llm(corpus_settings, server.base_url, "liar"))
    assert len(server.requests) == 1
    streamed = "".join(v for k, v in deltas if k == "delta")
    assert streamed == reply  # the user saw the tokens as they came ...
    replaced = [v for k, v in deltas if k == "replace"]
    assert replaced == [final.answer]  # ... and then the verified replacement
    assert final.mode == "extraktiv" and not final.abstained
    assert final.answer == assistant.ask(QUESTION).answer
    (note,) = final.notes
    assert note.startswith(VERIFY_FAILED_START) and reason in note


@pytest.mark.slow
def test_partly_wrong_answer_is_repaired(corpus_settings, assistant):
    sources = assistant.ask(QUESTION).passages[:6]
    n = next(i for i, p in enumerate(sources, start=1) if "120" in p.text)  # the ANDTS passage
    good = f"Det kom 120 föräldrar till ANDTS-kvällen [{n}]."
    with _ScriptedServer(good + f" Nästa kväll kommer 987 654 föräldrar [{n}].") as server:
        deltas, final = _ask(_with_llm(corpus_settings, server.base_url, "liar"))
    assert final.mode == "generativ" and final.answer == good
    assert [c.n for c in final.citations] == [n]
    assert "togs bort" in final.notes[0] and "987654" in final.notes[0]


@pytest.mark.slow
def test_unreachable_endpoint_falls_back_to_the_extractive_answer(corpus_settings, assistant):
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    t0 = time.perf_counter()
    deltas, final = _ask(_with_llm(corpus_settings, base_url, "ingen"))
    assert time.perf_counter() - t0 < 30
    assert [v for k, v in deltas if k == "replace"] == [final.answer]
    assert final.mode == "extraktiv" and final.answer == assistant.ask(QUESTION).answer
    (note,) = final.notes
    assert base_url in note and "Svaret kommer direkt ur dokumenten" in note


def test_generate_stream_raises_model_error_on_closed_port():
    settings = LLMSettings(base_url=f"http://127.0.0.1:{free_port()}/v1", model="x", timeout_s=5)
    with pytest.raises(ModelError, match="svarade inte"):
        list(generate_stream(settings, "fråga", [PASSAGE], []))


# ------------------------------------------------------------------ the real server
@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the small GGUF model, on a free loopback port."""
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        pytest.skip("llama-cpp-python saknas: kör scripts/fetch-llm.sh (scripts/test.sh gör det)")
    fetched = subprocess.run(
        ["bash", str(ROOT / "scripts" / "fetch-llm.sh")], capture_output=True, text=True, check=False
    )
    if fetched.returncode != 0:
        pytest.fail(f"scripts/fetch-llm.sh misslyckades:\n{fetched.stderr[-2000:]}")
    model = fetched.stdout.strip().splitlines()[-1]
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", model, "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "8192", "--n_threads", "1", "--verbose", "False",
    ]  # fmt: skip
    # n_ctx: six Swedish passages are ~4 400 Qwen tokens, over the 4 096 first tried.
    # n_threads 1 and a log file: with 2 spin-waiting ggml threads on a shared 2-core machine
    # and stderr on an unread pipe (which fills up and blocks the server) a 60-token request
    # took 576-826 s; a hand-run server with 1 thread answers one in ~2 s.
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    log_file = log.open("w")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log_file)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server avslutades: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as r:
                    if MODEL_ALIAS in r.read().decode():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server svarade inte inom 120 s")
            time.sleep(0.5)
        yield base_url
    finally:
        stop(proc)
        log_file.close()


@pytest.mark.llm
@pytest.mark.slow
def test_real_server_streams_tokens(llama_server):
    settings = LLMSettings(base_url=llama_server, model=MODEL_ALIAS, max_tokens=60, temperature=0)
    tokens = list(generate_stream(settings, "Vad blir avgiften för hemsjukvård?", [PASSAGE], []))
    assert len(tokens) >= 5
    assert "".join(tokens).strip()


@pytest.mark.llm
@pytest.mark.slow
def test_real_server_answer_is_verified_or_replaced(llama_server, corpus_settings, assistant):
    deltas, final = _ask(_with_llm(corpus_settings, llama_server, MODEL_ALIAS, temperature=0))
    streamed = "".join(v for k, v in deltas if k == "delta")
    assert streamed.strip(), "the model streamed nothing"
    sources = [source_text(p) for p in final.passages[:6]]
    if final.mode == "generativ":
        # shown as generated: it must pass the verifier and cite only given passages
        assert verify_answer(final.answer, sources).ok
        assert final.citations and {c.n for c in final.citations} == set(cited_numbers(final.answer))
        for c in final.citations:
            assert c.chunk_id == final.passages[c.n - 1].chunk_id
    elif final.abstained:
        assert final.answer.startswith(CANNOT_ANSWER) and streamed.strip().startswith(CANNOT_ANSWER)
    else:
        # rejected by the verifier: the user is told, and gets the extractive answer instead
        assert [v for k, v in deltas if k == "replace"] == [final.answer]
        assert any(n.startswith(VERIFY_FAILED_START) for n in final.notes), final.notes
        assert final.answer == assistant.ask(QUESTION).answer
    print(f"\nmodellens svar: {streamed!r}\nvisat ({final.mode}): {final.answer!r}\nnoter: {final.notes}")
