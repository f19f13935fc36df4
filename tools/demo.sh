#!/usr/bin/env bash
# The main job until the HTTP service exists: a demonstration of the ledger on ./var/ledger.
# Ingests tools/demo-commands.jsonl (registrations, a repeat, the personal-number rule, a bad
# date, Batam's e-KTP rule, #syarat, a retried message id), then verifies the chain and prints the
# digest. Run it twice: the second run appends nothing (every message id is already recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
if [ ! -f var/secrets.json ] && [ -z "${ANTREAN_BOOKING_CODE_KEY:-}" ]; then
  # A fresh random booking-code key for this machine's demo ledger; keep it out of the ledger.
  key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  umask 077
  printf '{"booking_code_key": "%s"}\n' "$key" > var/secrets.json
  echo "created var/secrets.json (the booking-code key)"
fi
bin=build/tools/antrean
echo "== antrean ingest --ledger var/ledger --config config/offices.json tools/demo-commands.jsonl"
"$bin" ingest --ledger var/ledger --config config/offices.json tools/demo-commands.jsonl || true
echo "== antrean verify --ledger var/ledger"
"$bin" verify --ledger var/ledger
echo "== antrean digest --ledger var/ledger"
"$bin" digest --ledger var/ledger
echo "== antrean board --ledger var/ledger --office bogor --date 2026-03-04"
"$bin" board --ledger var/ledger --office bogor --date 2026-03-04
echo "(antrean show phone 081234567890 --ledger var/ledger: everything that phone did;"
echo " antrean dump --ledger var/ledger: every event; antrean --help: every command)"
