#!/bin/bash
# Capture the hist files of tests/unit/data/hist on Debian's 6.1 kernel: run
# on the host as root, it boots the test VM (tests/vm/run) with a script that
# puts hist triggers on a uprobe of fixture_pie's add() and a kprobe on
# do_sys_openat2, runs the fixture, and prints each hist file in base64
# between markers on the console; the files are cut out of console.log.
#
#   tests/unit/data/hist/capture.sh BUILD_DIR
#
# The files hold pids and paths of that boot: test_hist.c expects them as
# committed, so a new capture means updating its expectations too.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
src=$(realpath "$here/../../../..")
build=$(realpath -e "$1")
fix=$build/tests/fixtures/fixture_pie
# add's file offset (uprobe_events wants one): its vaddr in the executable
# segment, which this PIE maps at the same offset as in the file
off=$(nm "$fix" | awk '$3 == "add" { print "0x" $1 }')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|@ADD_OFF@|$off|" >"$tmp/hist-capture.sh" <<'VM'
# inside the VM (made by capture.sh)
T=/sys/kernel/tracing
F=$BUILD_DIR/tests/fixtures/fixture_pie
G=aggcap
dump() { # NAME FILE
	echo "HIST-BEGIN $1"
	base64 "$2"
	echo "HIST-END $1"
}
echo "p:$G/add $F:@ADD_OFF@ a=%di:s32 b=%si:s32" >>$T/uprobe_events || echo "ERR uprobe"
echo "p:$G/open do_sys_openat2 dfd=%di:s32 path=+0(%si):ustring" >>$T/kprobe_events || echo "ERR kprobe"
E=$T/events/$G
cat $E/add/format
# 1: keys=common_pid, two threads
echo 'hist:keys=common_pid:vals=hitcount:sort=hitcount:size=16384' >$E/add/trigger || echo ERR1
echo 1 >$E/add/enable
$F 30 --threads 2
echo 0 >$E/add/enable
dump pid $E/add/hist
echo '!hist:keys=common_pid:vals=hitcount:sort=hitcount:size=16384' >$E/add/trigger
# 2: two fields
echo 'hist:keys=a,b:vals=hitcount:sort=hitcount:size=16384' >$E/add/trigger || echo ERR2
echo 1 >$E/add/enable
$F 5
$F 3
echo 0 >$E/add/enable
dump two $E/add/hist
echo '!hist:keys=a,b:vals=hitcount:sort=hitcount:size=16384' >$E/add/trigger
# 3: hitcount and a value
echo 'hist:keys=common_pid:vals=hitcount,b' >$E/add/trigger || echo ERR3
echo 1 >$E/add/enable
$F 10
echo 0 >$E/add/enable
dump val $E/add/hist
echo '!hist:keys=common_pid:vals=hitcount,b' >$E/add/trigger
# 4: dropped: 300 keys in a 128-entry map
echo 'hist:keys=a:vals=hitcount:size=128' >$E/add/trigger || echo ERR4
echo 1 >$E/add/enable
$F 300
echo 0 >$E/add/enable
dump dropped $E/add/hist
echo '!hist:keys=a:vals=hitcount:size=128' >$E/add/trigger
# 5: empty
echo 'hist:keys=a:vals=hitcount' >$E/add/trigger
dump empty $E/add/hist
echo '!hist:keys=a:vals=hitcount' >$E/add/trigger
# 6: a modifier
echo 'hist:keys=common_pid.execname,a.hex:vals=hitcount' >$E/add/trigger || echo ERR6
echo 1 >$E/add/enable
$F 3
echo 0 >$E/add/enable
dump execname $E/add/hist
echo '!hist:keys=common_pid.execname,a.hex:vals=hitcount' >$E/add/trigger
# 7: string key on the kprobe, filtered to busybox cat
echo 'hist:keys=path:vals=hitcount:sort=hitcount if dfd == -100' >$E/open/trigger || echo ERR7
echo 1 >$E/open/enable
/bin/busybox cat /etc/hostname /etc/hostname /etc/passwd >/dev/null
/bin/busybox cat "/etc/group" >/dev/null
echo 0 >$E/open/enable
dump string $E/open/hist
echo '!hist:keys=path:vals=hitcount:sort=hitcount if dfd == -100' >$E/open/trigger
# 8: string and number
echo 'hist:keys=path,dfd:vals=hitcount' >$E/open/trigger || echo ERR8
echo 1 >$E/open/enable
/bin/busybox cat /etc/hostname >/dev/null
echo 0 >$E/open/enable
dump strnum $E/open/hist
echo '!hist:keys=path,dfd:vals=hitcount' >$E/open/trigger
# 9: stacktrace key
echo 'hist:keys=stacktrace:vals=hitcount' >$E/open/trigger || echo ERR9
echo 1 >$E/open/enable
/bin/busybox cat /etc/hostname >/dev/null
echo 0 >$E/open/enable
dump stack $E/open/hist
echo '!hist:keys=stacktrace:vals=hitcount' >$E/open/trigger
# 10: two triggers on one event
echo 'hist:keys=a:vals=hitcount' >$E/add/trigger
echo 'hist:keys=b:vals=hitcount' >>$E/add/trigger
echo 1 >$E/add/enable
$F 2
echo 0 >$E/add/enable
dump twotrig $E/add/hist
echo '!hist:keys=a:vals=hitcount' >$E/add/trigger
echo '!hist:keys=b:vals=hitcount' >$E/add/trigger
cat $E/add/trigger $E/open/trigger
echo "-:$G/add" >>$T/uprobe_events
echo "-:$G/open" >>$T/kprobe_events
echo "ok - capture done"
VM
SONDE_VM_TESTS="$tmp/hist-capture.sh" "$src/tests/vm/run" "$build" >/dev/null
awk -v dir="$tmp" '/^HIST-BEGIN/ { f = dir "/" $2 ".b64"; next }
	/^HIST-END/ { f = ""; next }
	f { sub(/\r$/, ""); print > f }' "$build/vm/console.log"
for f in "$tmp"/*.b64; do
	base64 -d "$f" >"$here/$(basename "$f" .b64).hist"
done
ls "$here"/*.hist
