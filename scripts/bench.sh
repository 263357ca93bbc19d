#!/usr/bin/env bash
# bench.sh runs Kordon's core benchmarks and a real Vault Transit server on
# this machine in one run, and prints each figure, its reference and the
# ratio, against the targets in DESIGN.md §6. Figures are ops/s (values or
# codes per second); every tokenize and resolve is audited and durable
# (the SQLite WAL fdatasync-ed) before it returns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
benchtime=${BENCHTIME:-3s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

KORDON_REQUIRE_VAULT=1 go test -run '^$' -bench . -benchtime "$benchtime" ./tokenizer/ | tee "$out" >&2

awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	for (i = 2; i < NF; i++) if ($(i+1) == "ops/s") ops[name] = $i
}
END {
	enc = ops["VaultTransitEncrypt"]; dec = ops["VaultTransitDecrypt"]
	printf "\n%-28s %12s %12s %10s %12s  %s\n", "figure", "ops/s", "reference", "ratio", "target", ""
	row("tokenize, existing, 100/call", "TokenizeExisting", enc, 200000)
	row("tokenize, new, 1/call", "TokenizeNew", enc, 20000)
	row("tokenize, new, 100/call", "TokenizeNewBatch", enc, 20000)
	row("resolve, 1/call", "Resolve", dec, 20000)
	row("resolve, 100/call", "ResolveBatch", dec, 20000)
	printf "%-28s %12.0f\n", "vault transit encrypt", enc
	printf "%-28s %12.0f\n", "vault transit decrypt", dec
}
function row(label, key, ref, target,   v, r) {
	v = ops[key]
	r = (ref > 0) ? v / ref : 0
	printf "%-28s %12.0f %12.0f %9.1fx %12d  %s\n", label, v, ref, r, target, (v >= target) ? "meets" : "BELOW TARGET"
}' "$out"
