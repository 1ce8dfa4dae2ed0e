#!/bin/bash
# The libFuzzer targets of tests/fuzz (spec and fetcharg grammar, add_probe
# on the fixtures, the ELF/DWARF/USDT readers, the ring page walker, the
# perf record reader, the hist file parser) under ASan and UBSan: every
# regression input replayed, then each target fuzzed for
# $SONDE_FUZZ_SECONDS (default 20) seconds: 2 minutes of fuzzing, plus the
# clang build when build-fuzz is new (about a minute here). Each target
# checks its own oracle (tests/fuzz/README).
# Skipped, with the reason, without clang or libFuzzer. The clang build of
# the whole library (sonde run's compiler included) takes minutes on a
# fresh clone: more than the usual 300 s.
# tests/run: timeout 900
cd "$(dirname "$0")/../.." || exit 1
exec tests/fuzz/run "${SONDE_FUZZ_SECONDS:-20}"
