#!/bin/sh
# node-deps.sh: the Node.js packages make test uses, exactly as
# tests/browser/package-lock.json pins them: playwright-core (drives
# Debian's chromium for the console tests) and @redocly/cli (lints
# docs/openapi.json).  npm ci runs again only when the lock file changed
# since the last install; no package's install script is run (neither
# needs one: the browser is Debian's, not a download).
set -eu
cd "$(dirname "$0")/../tests/browser"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node-deps.sh: Node.js and npm are missing (scripts/deps.sh installs them)" >&2
    exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
    echo "node-deps.sh: Node.js $(node --version) is too old; playwright-core and @redocly/cli need 18 or newer" >&2
    exit 1
fi
if [ -f node_modules/.installed-lock ] && cmp -s package-lock.json node_modules/.installed-lock; then
    exit 0
fi
echo "node-deps.sh: npm ci in tests/browser"
npm ci --no-audit --no-fund --ignore-scripts
cp package-lock.json node_modules/.installed-lock
