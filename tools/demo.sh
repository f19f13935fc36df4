#!/usr/bin/env bash
# A demonstration of the command stream on ./var/demo-ledger (the main job is `tools/dev.sh run`,
# the HTTP service).
# Ingests tools/demo-commands.jsonl (registrations, a repeat, the personal-number rule, a bad
# date, Batam's e-KTP rule, #syarat, a retried message id), then verifies the chain and prints the
# digest. Run it twice: the second run appends nothing (every message id is already recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
bin=build/tools/antrean
if [ ! -f var/secrets.json ] && [ -z "${ANTREAN_BOOKING_CODE_KEY:-}" ]; then
  "$bin" secrets init --secrets var/secrets.json  # fresh random secrets, kept out of the ledger
fi
echo "== antrean ingest --ledger var/demo-ledger --config config/offices.json tools/demo-commands.jsonl"
"$bin" ingest --ledger var/demo-ledger --config config/offices.json tools/demo-commands.jsonl || true
echo "== antrean verify --ledger var/demo-ledger"
"$bin" verify --ledger var/demo-ledger
echo "== antrean digest --ledger var/demo-ledger"
"$bin" digest --ledger var/demo-ledger
echo "== antrean board --ledger var/demo-ledger --office bogor --date 2026-03-04"
"$bin" board --ledger var/demo-ledger --office bogor --date 2026-03-04
echo "(antrean show phone 081234567890 --ledger var/demo-ledger: everything that phone did;"
echo " antrean dump --ledger var/demo-ledger: every event; antrean --help: every command)"
