#!/bin/bash
# What the VM tests need on the host, installed only when missing.
#
#   tests/vm/deps.sh install     packages, then pre-fetch Debian's kernel
#                                and build sonde's own (tests/vm/build-kernel)
#   tests/vm/deps.sh check       exit 1 and name what is missing
#
# or, from another bash script: . tests/vm/deps.sh; vm_deps_install
# Packages: qemu-system-x86 (qemu-system-x86_64), busybox-static (the
# image's /bin/busybox must be static), cpio and gzip (the initramfs),
# apt/dpkg (apt-get download, dpkg-deb -x for the kernel); for the kernel
# tests/vm/build-kernel builds: linux-source-6.1, gcc, make, flex, bison,
# bc, libelf-dev, dwarves, xz-utils, libssl-dev.

VM_DEPS_PKGS="qemu-system-x86 busybox-static cpio gzip
linux-source-6.1 gcc make flex bison bc libelf-dev dwarves xz-utils libssl-dev"

vm_deps_missing()
{
	local p st
	for p in $VM_DEPS_PKGS; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ $st == *" installed" ]] || echo "$p"
	done
}

vm_deps_install()
{
	local missing here
	missing=$(vm_deps_missing | tr '\n' ' ')
	if [[ -n ${missing// /} ]]; then
		if [[ $(id -u) != 0 ]]; then
			echo "vm deps: missing $missing(run as root)" >&2
			return 1
		fi
		apt-get update -q >&2 || return 1
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 ||
			return 1
	fi
	# The kernels are cached outside the repo; fetching and building them
	# now keeps the first test run from depending on the network (and
	# from a cold kernel build).
	here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
	"$here/fetch-kernel" >/dev/null || return 1
	"$here/build-kernel" >/dev/null
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	case ${1:-install} in
	install) vm_deps_install ;;
	check)
		m=$(vm_deps_missing | tr '\n' ' ')
		[[ -z ${m// /} ]] || { echo "vm deps: missing $m" >&2; exit 1; }
		;;
	*) echo "usage: tests/vm/deps.sh install|check" >&2; exit 2 ;;
	esac
fi
