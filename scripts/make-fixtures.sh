#!/usr/bin/env bash
# Regenerates fixtures/ from a throwaway redis-server (free port, temp dir; never the shared one on 6379).
# Usage: scripts/make-fixtures.sh [--only sample|all-encodings|aof|lfu]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx scripts/make-fixtures.ts "$@"
