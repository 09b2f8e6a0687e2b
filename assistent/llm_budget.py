"""The LLM's prompt budget in the model's own tokens.

Swedish costs a small model's vocabulary far more than English: Qwen2.5 reads the bundled
corpus at ~2.9 characters (2.6 tokens per word), so a budget counted in words overflowed a
4,096-token context. Tokens are counted by, in order:

1. the server's own tokenizer, where it has one: llama-cpp-python (``/extras/tokenize/count``),
   llama.cpp's server (``/tokenize``) and vLLM (``/tokenize``);
2. tiktoken, for the OpenAI model names it knows (when its encoding is available offline);
3. a conservative estimate (``estimate_tokens``), which over-counts every Swedish text measured.

The context size is ``ASSISTENT_LLM_CONTEXT_TOKENS``, else what the server reports (llama.cpp
``/props``, vLLM's ``max_model_len``), else 4,096. Sources are filled by rank until the context
minus the answer's ``max_tokens`` is used; a source that does not fit whole is cut after its
last sentence that fits, never inside its label line.
"""

from __future__ import annotations

import json
import logging
import math
import re
import urllib.request
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from grund.records import Passage
from grund.settings import LLMSettings

log = logging.getLogger(__name__)

#: Context assumed when neither the settings nor the server tell.
DEFAULT_CONTEXT = 4096
#: Tokens a chat template adds per message (role markers, separators) and once for the reply.
TEMPLATE_TOKENS_PER_MESSAGE = 8
TEMPLATE_TOKENS_FIXED = 8
#: Share of the budget kept free: a count by another tokenizer than the model's is an estimate.
SAFETY_SHARE = {"server": 0.02, "tiktoken": 0.05, "estimate": 0.0}
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
#: Characters a byte-level BPE vocabulary often spends a token (or more) on.
_SINGLE = re.compile(r"[\d\u0080-\U0010ffff|:;()\-]")


def estimate_tokens(text: str) -> int:
    """A token count that errs high: digits, letters outside ASCII (å, ä, ö) and separators one
    token each, other characters 2.4 a token (3-40 % over Qwen2.5's count on the corpus and on
    tables of figures, never under).

    Args:
        text: any text.
    """
    single = len(_SINGLE.findall(text))
    return single + math.ceil((len(text) - single) / 2.4)


def _root(base_url: str) -> str:
    """'http://h:8080/v1' → 'http://h:8080' (the tokenize routes live beside /v1)."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))


def _post(url: str, body: dict, api_key: str, timeout: float = 5.0) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def _get(url: str, api_key: str, timeout: float = 5.0) -> dict:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


#: (route, request body, count from the response) for the servers that expose their tokenizer.
_ROUTES: tuple[tuple[str, Callable[[str, str], dict], Callable[[dict], int]], ...] = (
    ("/extras/tokenize/count", lambda text, model: {"input": text, "model": model}, lambda r: int(r["count"])),
    ("/tokenize", lambda text, model: {"content": text}, lambda r: len(r["tokens"])),
    ("/tokenize", lambda text, model: {"model": model, "prompt": text, "add_special_tokens": False},
     lambda r: int(r["count"])),
)  # fmt: skip


class TokenCounter:
    """Counts tokens the way the configured model does, as closely as the endpoint allows.

    ``method`` is "server", "tiktoken" or "estimate" once the first count has been made.
    """

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.method = "estimate"
        self._count: Callable[[str], int] = estimate_tokens
        self._cache: dict[str, int] = {}
        self._pick()

    def _pick(self) -> None:
        s = self.settings
        if s.base_url:
            root = _root(s.base_url)
            for route, body, read in _ROUTES:
                try:
                    n = read(_post(root + route, body("hej", s.model or ""), s.api_key))
                except Exception:  # noqa: BLE001 (404, other body shape, no server: try the next)
                    continue
                if n > 0:
                    self.method = "server"
                    def count(text: str, r: str = route, b: Any = body, f: Any = read) -> int:
                        return f(_post(root + r, b(text, s.model or ""), s.api_key, timeout=s.timeout_s))

                    self._count = count
                    return
        enc = _tiktoken(s.model or "")
        if enc is not None:
            self.method = "tiktoken"
            self._count = lambda text: len(enc.encode(text, disallowed_special=()))

    def count(self, text: str) -> int:
        """Tokens in ``text``; an estimate if the server stops answering.

        Args:
            text: any text.
        """
        if text not in self._cache:
            try:
                n = self._count(text)
            except Exception as exc:  # noqa: BLE001
                log.warning("token count by %s failed (%s); estimating", self.method, exc)
                self.method, self._count = "estimate", estimate_tokens
                n = estimate_tokens(text)
            self._cache[text] = n
        return self._cache[text]


@lru_cache(maxsize=8)
def _tiktoken(model: str):
    """tiktoken's encoding for an OpenAI model name, or None (unknown name, no encoding offline)."""
    try:
        import tiktoken

        return tiktoken.encoding_for_model(model)
    except Exception:  # noqa: BLE001 (KeyError for unknown names, network errors offline)
        return None


def context_tokens(settings: LLMSettings) -> int:
    """The model's context size: configured, else reported by the server, else DEFAULT_CONTEXT.

    Args:
        settings: the LLM endpoint.
    """
    if settings.context_tokens:
        return settings.context_tokens
    if settings.base_url:
        root = _root(settings.base_url)
        try:  # llama.cpp's server
            n = _get(root + "/props", settings.api_key)["default_generation_settings"]["n_ctx"]
            if int(n) > 0:
                return int(n)
        except Exception:  # noqa: BLE001
            pass
        try:  # vLLM lists max_model_len with its models
            for m in _get(root + "/v1/models", settings.api_key).get("data", []):
                if m.get("id") == settings.model and m.get("max_model_len"):
                    return int(m["max_model_len"])
        except Exception:  # noqa: BLE001
            pass
    return DEFAULT_CONTEXT


def _cut(text: str, fits: Callable[[str], bool]) -> str | None:
    """The longest run of whole sentences from the start of ``text`` that ``fits``, or None."""
    ends = [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    best: str | None = None
    lo, hi = 0, len(ends) - 1
    while lo <= hi:  # fits() is monotone in length: binary search over sentence ends
        mid = (lo + hi) // 2
        piece = text[: ends[mid]].rstrip()
        if piece and fits(piece):
            best, lo = piece, mid + 1
        else:
            hi = mid - 1
    return best


def fit_sources(
    passages: list[Passage],
    fixed_prompt: str,
    render: Callable[[int, Passage], str],
    counter: TokenCounter,
    context: int,
    max_tokens: int,
    n_messages: int = 2,
) -> list[Passage]:
    """The best-ranked passages whose rendered sources fit the context beside the answer.

    Args:
        passages: candidates, best first.
        fixed_prompt: every prompt text but the sources (system prompt, question, history).
        render: how source n (1-based) is written in the prompt, label line included.
        counter: the token counter.
        context: the model's context size in tokens.
        max_tokens: tokens reserved for the answer.
        n_messages: chat messages in the prompt (for the template's overhead).
    """
    budget = context - max_tokens - TEMPLATE_TOKENS_FIXED - TEMPLATE_TOKENS_PER_MESSAGE * n_messages
    budget = int(budget * (1 - SAFETY_SHARE[counter.method])) - counter.count(fixed_prompt)
    out: list[Passage] = []
    for p in passages:
        n = len(out) + 1
        cost = counter.count(render(n, p)) + 2  # the blank line between sources
        if cost <= budget:
            out.append(p)
            budget -= cost
            continue
        # a cut source is only worth it with its label and at least one sentence
        label_cost = counter.count(render(n, p.model_copy(update={"text": ""})))
        if label_cost < budget:
            def fits(t: str, n: int = n, p: Passage = p, left: int = budget) -> bool:
                return counter.count(render(n, p.model_copy(update={"text": t}))) + 2 <= left

            cut = _cut(p.text, fits)
            if cut:
                out.append(p.model_copy(update={"text": cut}))
        break
    return out


_BUDGETS: dict[tuple, tuple[TokenCounter, int]] = {}


def budget_for(settings: LLMSettings) -> tuple[TokenCounter, int]:
    """(token counter, context size) for an endpoint, probed once per process and endpoint.

    Args:
        settings: the LLM endpoint.
    """
    key = (settings.base_url, settings.model, settings.api_key, settings.context_tokens)
    if key not in _BUDGETS:
        _BUDGETS[key] = (TokenCounter(settings), context_tokens(settings))
    return _BUDGETS[key]


#: How servers name their context in a context-overflow error: llama-cpp-python, vLLM/OpenAI.
_OVERFLOW = (
    re.compile(r"exceed context window of (\d+)"),
    re.compile(r"maximum context length is (\d+)"),
)


def learn_context(settings: LLMSettings, error: BaseException | None) -> int | None:
    """The context size an overflow error names, remembered for the endpoint's next prompts.

    llama-cpp-python's server reports its context nowhere but in this error, so a deployment
    that did not set ASSISTENT_LLM_CONTEXT_TOKENS loses one question, not every one.

    Args:
        settings: the LLM endpoint.
        error: what the request raised.
    """
    for rx in _OVERFLOW:
        if m := rx.search(str(error or "")):
            counter, _ = budget_for(settings)
            key = (settings.base_url, settings.model, settings.api_key, settings.context_tokens)
            _BUDGETS[key] = (counter, int(m.group(1)))
            return int(m.group(1))
    return None
