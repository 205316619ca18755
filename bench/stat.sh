#!/usr/bin/env bash
# Compare engines with benchstat. The benchmark names are
# BenchmarkPeer/<case>/<engine>; benchstat projects columns only from
# key=value name parts, so rename them on the fly.
set -euo pipefail
cd "$(dirname "$0")"
for f in "${@:-results.txt}"; do
  echo "== $f"
  sed -E 's#^BenchmarkPeer/([^/]+)/([a-z_]+)#BenchmarkPeer/case=\1/engine=\2#' "$f" > "${TMPDIR:-/tmp}/peer.kv"
  benchstat -col /engine -row /case "${TMPDIR:-/tmp}/peer.kv"
done
