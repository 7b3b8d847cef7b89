#!/usr/bin/env bash
# Speed benchmark: wall time and peak RSS (from /usr/bin/time -v) of redis-check-rdb and of rdbscope's info, dump,
# index, recommend and report on a generated ~1 GB, ~2 M-key dump, plus the memory-estimate error against
# MEMORY USAGE.
#
#   scripts/bench.sh [--keys N]        (default 2000000; develop with e.g. --keys 20000)
#
# The dump is made once by scripts/gen-bench-dump.ts (a real redis-server on a free port) and reused from
# bench-out/ (git-ignored). A measurement whose rdbscope command does not exist yet is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=2000000
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time (apt-get install time)" >&2
  apt-get install -y -qq time >/dev/null
fi

DUMP=$(nice -n 10 node --import tsx scripts/gen-bench-dump.ts --keys "$KEYS" | tail -1)
DIR=$(dirname "$DUMP")
TRUTH="$DIR/truth.tsv"
KEYCOUNT=$(($(wc -l <"$TRUTH") - 1))
SIZE=$(stat -c %s "$DUMP")

if ! npm run -s build >"$DIR/build.log" 2>&1; then
  echo "bench: npm run build failed (see $DIR/build.log); measuring the existing dist/" >&2
fi
# Measure a private copy of dist/, so that a rebuild by someone else during the run cannot break it halfway.
rm -rf bench-out/dist && cp -r dist bench-out/dist
CLI=bench-out/dist/cli.js

ROWS=()
NOTES=()
# measure NAME CMD...: runs CMD under /usr/bin/time -v (stdout discarded unless redirected inside CMD).
measure() {
  local name="$1"; shift
  local tv="$DIR/time-${name//[^a-z-]/_}.txt"
  echo "bench: $name ..." >&2
  if ! nice -n 10 /usr/bin/time -v -o "$tv" "$@"; then
    NOTES+=("$name: FAILED, its numbers are not valid (see $tv)")
    name="$name (FAILED)"
  fi
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tv" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
  ROWS+=("$(printf '%-34s %10.1f %12.0f %14.0f' "$name" "$wall" "$((rss / 1024))" "$(awk -v k="$KEYCOUNT" -v w="$wall" 'BEGIN { print (w > 0 ? k / w : 0) }')")")
}
# has_command NAME: whether `rdbscope --help` lists the command (an unknown command's --help exits 0 too).
has_command() {
  node "$CLI" --help 2>/dev/null | grep -Eq "^  rdbscope $1( |\$)"
}

measure redis-check-rdb redis-check-rdb "$DUMP" >/dev/null

if has_command info; then
  # Decoding without values, with the memory estimate and the checksum: the figure to hold against redis-check-rdb.
  measure "rdbscope info" sh -c 'node "$1" info "$2" >/dev/null' sh "$CLI" "$DUMP"
  # The same dump gzipped (-6, made once): inflated by zlib on another thread; the goal is <= 1.3x the plain file.
  [ -s "$DUMP.gz" ] || gzip -6 -c "$DUMP" > "$DUMP.gz"
  measure "rdbscope info (.gz)" sh -c 'node "$1" info "$2" >/dev/null' sh "$CLI" "$DUMP.gz"
fi

if has_command dump; then
  measure "rdbscope dump --format jsonl" sh -c 'node "$1" dump "$2" --format jsonl >/dev/null' sh "$CLI" "$DUMP"
else
  NOTES+=("rdbscope dump: skipped, the command does not exist yet (not listed by rdbscope --help)")
fi

INV="$DIR/inv.sqlite"
if has_command index; then
  rm -f "$INV" "$INV-wal" "$INV-shm"
  measure "rdbscope index" node "$CLI" index "$DUMP" --out "$INV" --quiet
  if [ -f "$INV" ]; then
    INVSIZE=$(stat -c %s "$INV")
    NOTES+=("inventory: $INVSIZE bytes for $KEYCOUNT keys = $((INVSIZE / KEYCOUNT)) bytes per key")
    # What a user runs next on the inventory: every built-in rule, then the report (which runs them again).
    measure "rdbscope recommend" sh -c 'node "$1" recommend --in "$2" >/dev/null' sh "$CLI" "$INV"
    measure "rdbscope report" sh -c 'node "$1" report --in "$2" >/dev/null' sh "$CLI" "$INV"
    # The same dump again as a second snapshot (--force: hashed beside the decoding, as a first one is);
    # scripts/scale.ts --part snapshots measures eight different dumps into one inventory.
    measure "rdbscope index (2nd snapshot)" node "$CLI" index "$DUMP" --out "$INV" --quiet --force --label second
  fi
else
  NOTES+=("rdbscope index: skipped, the command does not exist yet")
fi

MEM=""
if has_command dump; then
  echo "bench: memory estimate vs MEMORY USAGE (rdbscope dump) ..." >&2
  MEM=$(node "$CLI" dump "$DUMP" --format jsonl | node --import tsx scripts/bench/compare-memory.ts "$TRUTH" 2>&1) ||
    MEM="comparison failed: $MEM"
  MEM="source: rdbscope dump --format jsonl"$'\n'"$MEM"
elif [ -f "$INV" ]; then
  echo "bench: memory estimate vs MEMORY USAGE (inventory keys.memory, dump is missing) ..." >&2
  MEM=$(node --import tsx scripts/bench/compare-memory.ts "$TRUTH" --sqlite "$INV" 2>&1) || MEM="comparison failed: $MEM"
  MEM="source: inventory keys.memory (rdbscope dump does not exist yet)"$'\n'"$MEM"
else
  NOTES+=("memory comparison: skipped, neither rdbscope dump nor index exists")
fi

{
  echo
  echo "dump: $DUMP ($((SIZE / 1000000)) MB, $KEYCOUNT keys); $(grep -m1 '^used_memory_human' "$DIR/info-memory.txt" 2>/dev/null || true)"
  echo "machine: $(nproc) cores, node $(node --version), $(redis-server --version | cut -d' ' -f1-3)"
  echo
  printf '%-34s %10s %12s %14s\n' "step" "wall s" "peak RSS MB" "keys/s"
  printf '%s\n' "${ROWS[@]}"
  echo
  for n in "${NOTES[@]}"; do echo "- $n"; done
  if [ -n "$MEM" ]; then echo; echo "memory estimate:"; echo "$MEM"; fi
} | tee "$DIR/bench-result.txt"
