#!/usr/bin/env bash
# Set up and run the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/setup.sh
# llama-cpp-python's server + the small GGUF model for tests/assistent/test_llm.py (-m llm);
# compiles once per machine (~9 min, pip caches the wheel), then only checks the model's hash.
bash scripts/fetch-llm.sh >/dev/null
. .venv/bin/activate
# lint and types first (~10 s): a style or type error fails CI like a failing test
ruff check --quiet .
mypy
exec python -m pytest "$@"
