#!/usr/bin/env bash
# Set up, ingest the bundled example corpus (incremental: a second start embeds nothing), serve the chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
assistent ingest corpus/ || true   # a failed file is reported above; serve what was stored
exec assistent serve "$@"
