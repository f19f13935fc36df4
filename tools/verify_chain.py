#!/usr/bin/env python3
"""Checks an antrean ledger's hash chain from RocksDB's own dump, without antrean's code.

    ldb --db=DIR --column_family=events scan --hex > events.txt
    ldb --db=DIR --column_family=index  scan --hex > index.txt     # optional
    python3 tools/verify_chain.py events.txt [--index index.txt]

Applies the five steps of docs/FORMAT.md, "Checking the chain by hand". With --index, also checks
that every index key an event names has its entry and that every entry points to an event naming
its key. Prints the head as {"seq":N,"hash":"<64 hex>"} (the format of `antrean digest`) and
exits 0 when intact; otherwise prints "first bad seq N: PROBLEM: ..." to stderr and exits 1.
Exit 2: unreadable input. Python 3 standard library only.
"""
import argparse
import hashlib
import json
import sys

HASH = 32


class Bad(Exception):
    def __init__(self, seq, problem, detail):
        super().__init__(f"first bad seq {seq}: {problem}: {detail}")


def read_scan(path):
    """Yields (key, value) bytes from `ldb scan --hex` lines: `0xKEY : 0xVALUE`."""
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition(" : ")
            if not (sep and key.startswith("0x") and value.startswith("0x")):
                raise ValueError(f"{path}:{n}: not an `ldb scan --hex` line")
            yield bytes.fromhex(key[2:]), bytes.fromhex(value[2:])


def seq_of(be8):
    return int.from_bytes(be8, "big")


def index_keys(value):
    """The index keys a record names (docs/FORMAT.md, "The event record")."""
    pos = 49
    for _ in range(4):  # type, idem_key, cause_id, cause_actor
        pos += 2 + int.from_bytes(value[pos:pos + 2], "big")
    count, pos = value[pos], pos + 1
    keys = []
    for _ in range(count):
        n = int.from_bytes(value[pos:pos + 2], "big")
        keys.append(value[pos + 2:pos + 2 + n])
        pos += 2 + n
    return keys


def check_chain(events):
    """The five steps. Returns the head (seq, hash) and the (index key, seq) pairs events name."""
    expected, prev, named = 1, bytes(HASH), set()
    for key, value in events:
        if len(key) != 8 or seq_of(key) != expected:                                  # step 1
            raise Bad(expected, "gap", f"the next stored key is 0x{key.hex()}")
        if len(value) < 49 + HASH or value[0] != 1:                                   # step 2
            raise Bad(expected, "undecodable", "the record is too short or not version 1")
        if value[1:9] != key:
            raise Bad(expected, "key_mismatch", f"the record says it is seq {seq_of(value[1:9])}")
        if hashlib.sha256(value[:-HASH]).digest() != value[-HASH:]:                   # step 3
            raise Bad(expected, "hash_mismatch", "SHA-256 of the body is not the stored hash")
        if value[17:49] != prev:                                                      # step 4
            raise Bad(expected, "chain_broken", "prev_hash is not the previous record's hash")
        named.update((k, expected) for k in index_keys(value))
        prev, expected = value[-HASH:], expected + 1                                  # step 5
    return expected - 1, prev, named


def check_index(named, entries):
    """Every named (key, seq) has an entry and every entry is named; raises at the lowest seq."""
    stored = {(k[:-9], seq_of(k[-8:])) for k, _ in entries}
    missing = {seq for _, seq in named - stored}
    dangling = {seq for _, seq in stored - named}
    if missing or dangling:
        seq = min(missing | dangling)
        if seq in missing:
            raise Bad(seq, "index_missing", "the event names an index key that has no entry")
        raise Bad(seq, "index_dangling", "an index entry points to an event not naming its key")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", help="output of `ldb --column_family=events scan --hex`")
    parser.add_argument("--index", help="output of `ldb --column_family=index scan --hex`")
    args = parser.parse_args()
    try:
        seq, head, named = check_chain(read_scan(args.events))
        if args.index:
            check_index(named, read_scan(args.index))
    except Bad as bad:
        print(bad, file=sys.stderr)
        return 1
    except (OSError, ValueError, IndexError) as e:
        print(f"cannot read the scan: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"seq": seq, "hash": head.hex()}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
