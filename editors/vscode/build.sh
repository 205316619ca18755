#!/usr/bin/env bash
# Builds the VS Code extension: installs the pinned npm dependencies
# (package-lock.json), checks the extension's files, checks that `rplc lsp`
# answers vscode-jsonrpc (the client's protocol library) when Go is at hand,
# and packages rpl.vsix with @vscode/vsce. Needs Node.js 20 or later and
# the npm registry.
set -euo pipefail
cd "$(dirname "$0")"

node --version
npm ci --no-audit --no-fund --loglevel=error
node --check extension.js
node test/grammar.test.js
if command -v go >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd ../.. && go build -o "$tmp/rplc" ./cmd/rplc)
  RPLC="$tmp/rplc" node test/server.test.js
fi
npx --no-install vsce package --skip-license -o rpl.vsix
ls -l rpl.vsix
