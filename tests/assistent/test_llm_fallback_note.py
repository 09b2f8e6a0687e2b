"""The fallback note when the language model's server answers with an error, not a closed port.

test_llm.py covers the closed port (nothing listens). The issue's failure was a server that
answered: llama.cpp rejected the prompt ("Requested tokens (4209) exceed context window of
4096") and the note showed the user the server's address. Here: a scripted server that returns
an error body full of internals, and the real llama.cpp test server with a 2,048-token context
behind a deployment that claims 8,192 (so the budgeted prompt overflows it).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistent.llm import PROMPT, fixed_prompt_text, prompt_values, source_text
from assistent.llm_budget import budget_for, fit_sources
from grund.prompts import LLM_UNAVAILABLE
from grund.settings import LLMSettings
from tests.assistent.test_llm import MODEL_ALIAS, QUESTION, _ask, _with_llm, llama_servers
from tests.assistent.test_llm_chain import _server_tokens

__all__ = ["llama_servers"]  # fixture used here, defined in test_llm.py

#: What must never reach the user: an address, a key, a stack trace, an exception's name.
INTERNALS = re.compile(r"https?://|127\.0\.0\.1|localhost|Traceback|Error|sk-|exceed|tokens \(")


class _ErrorServer:
    """An OpenAI-compatible chat endpoint on loopback that answers every request with ``status`` and ``body``."""

    def __init__(self, status: int, body: dict):
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers["Content-Length"]))
                if not self.path.endswith("/chat/completions"):  # no tokenizer route
                    self.send_error(404)
                    return
                outer.requests += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _ErrorServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "status, message",
    [
        # llama-cpp-python's overflow, as the trial got it
        (400, "Requested tokens (4209) exceed context window of 4096"),
        # a server that puts its address, a key and a stack trace in the error
        (
            500,
            "Internal Server Error at http://10.0.0.7:8000/v1 (api_key=sk-hemlig)\n"
            'Traceback (most recent call last):\n  File "server.py", line 1\nRuntimeError: CUDA out of memory',
        ),
    ],
)
def test_a_server_error_falls_back_without_internals_in_the_note(
    corpus_settings, assistant, caplog, status, message
):
    body = {"error": {"message": message, "type": "invalid_request_error", "code": status}}
    with _ErrorServer(status, body) as server, caplog.at_level(logging.WARNING):
        deltas, final = _ask(_with_llm(corpus_settings, server.base_url, "fel"))
    assert server.requests >= 1
    assert final.mode == "extraktiv" and final.answer == assistant.ask(QUESTION).answer
    assert "".join(v for k, v in deltas if k == "delta") == final.answer  # nothing generated was shown
    assert final.notes == [LLM_UNAVAILABLE]
    assert not INTERNALS.search(final.notes[0]), final.notes
    # the endpoint and the server's own message go to the log only
    assert server.base_url in caplog.text
    assert message.splitlines()[0][:30] in caplog.text


def _overflowing(llama_servers, corpus_settings, assistant):
    """A deployment that says 8,192 tokens in front of the 2,048-token llama.cpp server: its
    settings, after checking that the prompt budgeted for 8,192 does not fit 2,048."""
    from assistent import llm_budget

    llm_budget._BUDGETS.clear()  # a fresh deployment: no context learned from an earlier overflow
    base_url = llama_servers(2048)
    llm = LLMSettings(
        base_url=base_url, model=MODEL_ALIAS, temperature=0, timeout_s=600, max_tokens=40, context_tokens=8192
    )
    counter, context = budget_for(llm)
    assert context == 8192
    passages = assistant.search(QUESTION).passages
    render = lambda n, p: f"[{n}] {source_text(p)}"  # noqa: E731
    sources = fit_sources(passages, fixed_prompt_text(QUESTION, []), render, counter, context, llm.max_tokens)
    messages = PROMPT.invoke(prompt_values(QUESTION, sources, [])).to_messages()
    assert sum(_server_tokens(base_url, m.content) for m in messages) > 2048
    return llm, corpus_settings.model_copy(update={"llm": llm})


@pytest.mark.llm
@pytest.mark.slow
def test_real_server_overflow_falls_back_without_internals(llama_servers, corpus_settings, assistant, caplog):
    """The issue's failure: the prompt overflows llama.cpp's context. The user gets the extractive
    answer with a plain note; the endpoint and the error go to the log."""
    llm, settings = _overflowing(llama_servers, corpus_settings, assistant)
    with caplog.at_level(logging.WARNING):
        deltas, final = _ask(settings)
    assert final.mode == "extraktiv" and final.answer == assistant.ask(QUESTION).answer
    assert final.notes == [LLM_UNAVAILABLE]
    assert not INTERNALS.search(final.notes[0]), final.notes
    assert "".join(v for k, v in deltas if k == "delta") == final.answer  # nothing generated was shown
    assert llm.base_url in caplog.text  # the log has the endpoint and the error


@pytest.mark.llm
@pytest.mark.slow
def test_real_server_overflow_teaches_the_context(llama_servers, corpus_settings, assistant):
    """learn_context's promise against the real server: one overflow, then prompts fit its context.
    llama-cpp-python 0.3.36 streams the overflow as an empty 200 reply ('No generation chunks were
    returned'); the chain asks once more without streaming, whose error names the context."""
    llm, settings = _overflowing(llama_servers, corpus_settings, assistant)
    _ask(settings)
    assert budget_for(llm)[1] == 2048
