#!/bin/sh
# The scored run of the forensics rules (docs/SIMULATOR.md): simulate a month of 20 offices,
# ingest the stream into a fresh ledger, read the flags in force, and score them against the
# ground truth, per rule. Run from the repository root after building (build/tools/antrean).
#
#   tools/score-forensics.sh [OUT_DIR]        default var/score-forensics
#
# OFFICES, DAYS, SEED, START and PER_DAY (new applicants per office and service day) change the
# simulation; ANTREAN=path picks the binary. The booking-code key is fixed unless
# ANTREAN_BOOKING_CODE_KEY is set, so the same settings give the same files and the same score.
set -eu
BIN=${ANTREAN:-build/tools/antrean}
OUT=${1:-var/score-forensics}
OFFICES=${OFFICES:-20}
DAYS=${DAYS:-30}
SEED=${SEED:-1}
START=${START:-2026-03-02}
PER_DAY=${PER_DAY:-60}
: "${ANTREAN_BOOKING_CODE_KEY:=score-forensics-simulated-key-0123456789}"
export ANTREAN_BOOKING_CODE_KEY

rm -rf "$OUT"
mkdir -p "$OUT"
echo "simulate: $OFFICES offices, $DAYS days from $START, seed $SEED, $PER_DAY applicants a day" >&2
"$BIN" simulate --config-out "$OUT/offices.json" --out "$OUT/stream.jsonl" --truth "$OUT/truth.jsonl" \
  --offices "$OFFICES" --days "$DAYS" --seed "$SEED" --start "$START" --bookings-per-day "$PER_DAY" \
  > "$OUT/summary.json"
echo "ingest: $(wc -l < "$OUT/stream.jsonl") commands" >&2
start=$(date +%s)
"$BIN" ingest --ledger "$OUT/ledger" --config "$OUT/offices.json" "$OUT/stream.jsonl" > "$OUT/results.jsonl"
echo "ingested in $(( $(date +%s) - start )) s" >&2
# Every flag in force (the audit's ranked list, without its evidence events).
"$BIN" audit --ledger "$OUT/ledger" --json --limit 100000 --evidence 0 > "$OUT/flags.jsonl"
"$BIN" simulate score --truth "$OUT/truth.jsonl" --flags "$OUT/flags.jsonl" --json > "$OUT/score.json"
"$BIN" simulate score --truth "$OUT/truth.jsonl" --flags "$OUT/flags.jsonl"
