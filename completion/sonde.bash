# bash completion for sonde(1): subcommands, their options and option
# values, and probe specs. Function names of u:TARGET:, USDT probes of
# usdt:TARGET: and kernel functions of k: come from `sonde list` itself.
# Uses bash-completion's helpers (_init_completion, _filedir, _pids,
# __ltrim_colon_completions). The option lists are those of the table
# cli_options[] in src/cli/options.c: `sonde --list-options CMD` prints
# them, and tests/integration/test-completion.sh checks that they agree.

# Options the subcommands that open a session list.
_sonde_common_opts='-p --pid -c --command -d --duration -f --format
	-o --output -s --stack -q --quiet -v --verbose -h --help --filter
	--trigger --buffer-kb --backend --follow-fork --cgroup --hist --debug-dir
	--no-debuginfod --max-probes --color'

# _sonde_opts CMD: the options worth offering for subcommand CMD.
_sonde_opts()
{
	case $1 in
	trace) echo "$_sonde_common_opts --perfetto --call-graph --time" ;;
	count)
		echo "$_sonde_common_opts --by -i --interval --top --in-user" \
			"--max-keys"
		;;
	hist)
		echo "$_sonde_common_opts --value --linear --by -i --interval" \
			"--top --max-keys"
		;;
	latency)
		echo "$_sonde_common_opts --by -i --interval --top --max-keys" \
			"--perfetto"
		;;
	stack)
		echo "$_sonde_common_opts --folded --svg --top --max-keys" \
			"--call-graph"
		;;
	list)
		echo "-p --pid -v --verbose -q --quiet -h --help --debug-dir" \
			"--no-debuginfod"
		;;
	format)
		echo "-o --output -v --verbose -h --help --debug-dir" \
			"--no-debuginfod"
		;;
	check) echo "--backend --no-debuginfod -h --help" ;;
	cleanup) echo "-q --quiet -v --verbose -h --help" ;;
	inject) echo "--instance --top-level -q --quiet -h --help" ;;
	run)
		echo "-e --program --dry-run -p --pid -c --command -d --duration" \
			"-f --format -o --output -q --quiet -v --verbose -h --help" \
			"--debug-dir --no-debuginfod --max-probes --perfetto"
		;;
	serve)
		echo "--listen -q --quiet -v --verbose -h --help --debug-dir" \
			"--max-probes"
		;;
	esac
}

# _sonde_list ARGS...: run `sonde list -q` with the -p and --debug-dir
# of the command line; its stdout, nothing on errors.
_sonde_list()
{
	local i extra=()
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		case ${words[i]} in
		-p | --pid | --debug-dir) extra+=("${words[i]}" "${words[i + 1]}") ;;
		--pid=* | --debug-dir=*) extra+=("${words[i]}") ;;
		esac
	done
	"${words[0]}" list -q "${extra[@]}" "$@" 2>/dev/null
}

# _sonde_target PREFIX PART: complete the TARGET of PREFIX:TARGET[:...]
# (a path, a program in PATH, or libc); files end in ':'.
_sonde_target()
{
	local prefix=$1 part=$2 f cands=()
	while IFS= read -r f; do
		if [[ -d $f ]]; then
			cands+=("$prefix$f/")
		else
			cands+=("$prefix$f:")
		fi
	done < <(compgen -f -- "$part")
	if [[ -n $part && $part != */* ]]; then
		# programs in PATH (not functions or aliases)
		while IFS= read -r f; do
			type -P "$f" >/dev/null && cands+=("$prefix$f:")
		done < <(compgen -c -- "$part" | sort -u)
		[[ libc == "$part"* ]] && cands+=("${prefix}libc:")
	fi
	COMPREPLY=("${cands[@]}")
	compopt -o nospace 2>/dev/null
}

# _sonde_names PREFIX PART: COMPREPLY = PREFIX + each line of stdin that
# starts with PART (no globbing or expansion of the names).
_sonde_names()
{
	mapfile -t COMPREPLY < <(awk -v p="$1" -v part="$2" \
		'index($0, part) == 1 && !seen[$0]++ { print p $0 }')
}

# _sonde_spec CMD: complete the probe spec in $cur.
_sonde_spec()
{
	local kind rest target pat
	case $cur in
	*:*) ;;
	*)
		local prefixes='u: ur: usdt: k: kr: p: r:'
		case $1 in
		list) prefixes='u: usdt: k:' ;;
		latency) prefixes='u: k:' ;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "$prefixes" -- "$cur")
		compopt -o nospace 2>/dev/null
		return
		;;
	esac
	kind=${cur%%:*}
	rest=${cur#*:}
	case $kind in
	u | ur | usdt)
		if [[ $rest != *:* ]]; then
			_sonde_target "$kind:" "$rest"
		else
			target=${rest%%:*}
			pat=${rest#*:}
			if [[ $kind == usdt ]]; then
				# ADDRESS PROVIDER:NAME [semaphore=..] args=..
				_sonde_names "$kind:$target:" "$pat" < <(
					_sonde_list "usdt:$target" |
						awk '{ print $2 }')
			else
				# ADDRESS SIZE NAME; C++ names with spaces left out
				_sonde_names "$kind:$target:" "$pat" < <(
					_sonde_list "u:$target:$pat*" |
						awk 'NF == 3 { print $3 }')
			fi
		fi
		;;
	k | kr | kr[0-9]*)
		# NAME, or NAME [MODULE]
		_sonde_names "$kind:" "$rest" < <(_sonde_list "k:$rest*" |
			awk '{ print $1 }')
		;;
	esac
	__ltrim_colon_completions "$cur"
}

_sonde()
{
	local cur prev words cword split
	_init_completion -s -n : || return

	local i cmd=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W 'trace count hist latency stack list
			format check cleanup inject run serve --help --version' -- "$cur")
		return
	fi

	case $prev in
	--backend)
		mapfile -t COMPREPLY < <(compgen -W 'auto tracefs perf bpf' -- "$cur")
		return
		;;
	-f | --format)
		local fmts
		case ${words[1]} in
		trace | latency) fmts='text json csv perfetto' ;;
		run) fmts='text json perfetto' ;;
		*) fmts='text json csv' ;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "$fmts" -- "$cur")
		return
		;;
	--call-graph)
		mapfile -t COMPREPLY < <(compgen -W 'fp dwarf dwarf,' -- "$cur")
		return
		;;
	--time)
		mapfile -t COMPREPLY < <(compgen -W 'mono wall rel' -- "$cur")
		return
		;;
	--color)
		mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
		return
		;;
	-o | --output | --svg | --perfetto)
		_filedir
		return
		;;
	--debug-dir)
		_filedir -d
		return
		;;
	--cgroup)
		# a cgroup v2 directory: from its mount point when nothing is typed
		if [[ -z $cur ]]; then
			cur=$(awk '$3 == "cgroup2" { print $2 "/"; exit }' \
				/proc/mounts 2>/dev/null)
		fi
		_filedir -d
		return
		;;
	-c | --command)
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		_filedir
		return
		;;
	-p | --pid)
		_pids
		return
		;;
	--by)
		# KEY[,KEY]: complete the key after the last comma
		local done=${cur%"${cur##*,}"}
		mapfile -t COMPREPLY < <(compgen -P "$done" -W 'comm pid tid cpu' \
			-- "${cur##*,}")
		return
		;;
	-d | --duration | --filter | --trigger | --hist | --buffer-kb | \
		--max-probes | -i | --interval | --top | --value | --linear | \
		--max-keys | --listen)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_sonde_opts "$cmd")" -- "$cur")
		return
	fi
	case $cmd in
	trace | count | hist | latency | stack | list | format) _sonde_spec "$cmd" ;;
	serve) _filedir ;; # CONFIG
	esac
}
complete -F _sonde sonde
