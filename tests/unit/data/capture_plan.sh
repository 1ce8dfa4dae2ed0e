#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Re-make the format fixtures of test_fetch_plan.c from a real kernel:
# the format files uprobe_events gives two definitions whose args cover
# every fetch and type the argument compiler takes. Needs root and tracefs
# with uprobes.
#
#   sudo tests/unit/data/capture_plan.sh [OUTDIR]   (default: this directory)
#
#   format_plan_ent   p:sondeplan/plan_ent (registers, stack, derefs,
#                     strings, immediates, bitfields, arrays)
#   format_plan_ret   r:sondeplan/plan_ret ($retval and a register)
# The definitions are test_fetch_plan.c's ENT_ARGS and RET_ARGS; the probes
# are never enabled, and the trap removes them on every exit path.
set -eu

T=/sys/kernel/tracing
OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
BIN=/bin/true
ENT_ARGS='a=%di:s32 b=%si:x16 s=+0(%di):string st=$stack1 c=$comm bf=+0(%di):b4@2/32 arr=+0(%di):x8[3] u=+0(%di):ustring i=\7 e=$stack q=+1(%di):u8 d=$stack0 w=+0(%di):u64 h=+0(%di):s16[2] ar1=+0(%di):u32[1] t=\"hi" g=@+0x2000:u32 p=+8(+0(%di)):s64 m=-8(%sp):x32 r15=%r15:u8'
RET_ARGS='r=$retval:s32 x=%ax'

cleanup()
{
	echo '-:sondeplan/plan_ent' >>$T/uprobe_events 2>/dev/null || :
	echo '-:sondeplan/plan_ret' >>$T/uprobe_events 2>/dev/null || :
}
trap cleanup EXIT INT TERM

printf '%s\n' "p:sondeplan/plan_ent $BIN:0x1000 $ENT_ARGS" >>$T/uprobe_events
printf '%s\n' "r:sondeplan/plan_ret $BIN:0x1000 $RET_ARGS" >>$T/uprobe_events
cat $T/events/sondeplan/plan_ent/format >"$OUT/format_plan_ent"
cat $T/events/sondeplan/plan_ret/format >"$OUT/format_plan_ret"
