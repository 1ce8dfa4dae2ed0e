#!/bin/bash
# Tracepoints on the bpf backend on Debian's 6.1 (tests/vm/README.md): the
# host's test, tests/integration/test-tracepoint-bpf.sh, as it is. Its
# values come from tp_writes.c (an exec, a rename, writes of known sizes),
# so the same expectations hold on a second kernel: 6.1's formats, its
# tracepoint programs with BPF cookies (5.15) and its BPF_PERF_EVENT links.
exec bash "$SRC_DIR/tests/integration/test-tracepoint-bpf.sh"
