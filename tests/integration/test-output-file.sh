#!/bin/bash
# -o FILE where others could plant something: in a sticky world-writable
# directory (like /tmp) a symbolic link another user made is not followed,
# whether it points at a root-owned file (refused, target unchanged,
# checked by sha256sum) or nowhere (refused, nothing created), nor is a
# file or FIFO another user owns written; a link of the user's own and a
# path elsewhere still work (events checked against the fixture's own
# --summary count). A run sonde refuses (not root) creates no file and
# does not truncate an existing one.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_pie
require_file "$SONDE" "$bin"

sticky=$T_DIR/sticky
mkdir "$sticky" && chmod 1777 "$sticky"
secret=$T_DIR/secret # root's, outside the shared directory
printf 'root:do-not-touch\n' >"$secret"
chmod 600 "$secret"
sum=$(sha256sum <"$secret")

# as_nobody CMD...: CMD as user nobody (setpriv, else runuser). Leak
# checks off: on the not-root path 100 bytes strdup'd inside libtracefs
# (5 objects, seen under LeakSanitizer) are not freed, which is not what
# this test is about; nobody cannot write the sanitizer's log_path either.
as_nobody()
{
	local asan="${ASAN_OPTIONS:-}"
	if command -v setpriv >/dev/null; then
		ASAN_OPTIONS=$asan setpriv --reuid=nobody --regid=nogroup \
			--clear-groups "$@"
	else
		ASAN_OPTIONS=$asan runuser -u nobody -- "$@"
	fi
}

# refused CASE PATH: sonde trace -o PATH -c ... exits 1, names the
# directory others can write, and nothing of the trace reaches anywhere
refused()
{
	hygiene_begin
	timeout -k 5 30 "$SONDE" trace -o "$2" -c "$bin 5" "u:$bin:add" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$1: status 1" "$?" 1
	expect_grep "$1: says why" "will not write .*a directory others can write" \
		"$T_DIR/err"
	expect_eq "$1: root's file unchanged" "$(sha256sum <"$secret")" "$sum"
	hygiene_check "$1: tracefs left as found"
}

# A link nobody planted to root's file.
ln -s "$secret" "$sticky/planted"
chown -h nobody "$sticky/planted"
refused "planted link to a root file" "$sticky/planted"
expect_eq "planted link: still a link to the secret" \
	"$(readlink "$sticky/planted")" "$secret"

# A dangling link nobody planted: following it would create root's file.
ln -s "$T_DIR/created-by-root" "$sticky/dangling"
chown -h nobody "$sticky/dangling"
refused "planted dangling link" "$sticky/dangling"
if [ -e "$T_DIR/created-by-root" ]; then
	not_ok "planted dangling link: nothing created" "$(ls -l "$T_DIR")"
else
	ok "planted dangling link: nothing created"
fi

# A planted link to a directory on the way to the file.
ln -s "$T_DIR" "$sticky/dirlink"
chown -h nobody "$sticky/dirlink"
refused "planted link to a directory" "$sticky/dirlink/secret"

# A regular file and a FIFO nobody owns in the shared directory.
printf 'nobody-data\n' >"$sticky/theirs"
chown nobody "$sticky/theirs"
refused "a file of another user" "$sticky/theirs"
expect_eq "a file of another user: unchanged" "$(cat "$sticky/theirs")" \
	nobody-data
mkfifo "$sticky/fifo"
chown nobody "$sticky/fifo"
refused "a FIFO of another user" "$sticky/fifo"

# What still works: a new file in the shared directory, root's own link
# there, a file elsewhere, each with every call of add.
want=$("$bin" 7 --summary 2>&1 >/dev/null | sed -n 's/.*add=\([0-9]*\).*/\1/p')
works()
{
	hygiene_begin
	timeout -k 5 30 "$SONDE" trace -q -o "$2" -c "$bin 7" "u:$bin:add" \
		2>"$T_DIR/err"
	expect_eq "$1: status 0" "$?" 0
	expect_eq "$1: every add call written (fixture's count)" \
		"$(events "$3" | grep -c '^add:')" "$want"
	hygiene_check "$1: tracefs left as found"
}
works "a new file in a sticky directory" "$sticky/new" "$sticky/new"
printf 'old\n' >"$T_DIR/mine"
ln -s "$T_DIR/mine" "$sticky/mylink"
works "root's own link in a sticky directory" "$sticky/mylink" "$T_DIR/mine"
works "a file elsewhere" "$T_DIR/plain" "$T_DIR/plain"
works "an existing file elsewhere, truncated" "$T_DIR/plain" "$T_DIR/plain"

# A refused run (not root) makes no file, truncates none.
if ! id nobody >/dev/null 2>&1; then
	skip "non-root -o" "no user nobody"
else
	pub=$T_DIR/pub
	mkdir "$pub" && chmod 755 "$pub"
	cp "$bin" "$pub/fixture_pie"
	chown nobody "$pub"
	printf 'keep me\n' >"$pub/existing"
	chown nobody "$pub/existing"
	esum=$(sha256sum <"$pub/existing")
	for cmd in trace count; do
		as_nobody "$SONDE" $cmd -o "$pub/new-$cmd" \
			-c "$pub/fixture_pie 3" "u:$pub/fixture_pie:add" \
			>/dev/null 2>"$T_DIR/err"
		RC=$?
		expect_eq "non-root $cmd: refused (status 1)" "$RC" 1
		if [ -e "$pub/new-$cmd" ]; then
			not_ok "non-root $cmd -o NEW: no file left" \
				"$(ls -l "$pub")"
		else
			ok "non-root $cmd -o NEW: no file left"
		fi
		as_nobody "$SONDE" $cmd -o "$pub/existing" \
			-c "$pub/fixture_pie 3" "u:$pub/fixture_pie:add" \
			>/dev/null 2>&1
		expect_eq "non-root $cmd -o EXISTING: not truncated" \
			"$(sha256sum <"$pub/existing")" "$esum"
	done
	# a spec error (exit 2) as root: the same
	printf 'keep me\n' >"$T_DIR/existing"
	esum=$(sha256sum <"$T_DIR/existing")
	"$SONDE" trace -o "$T_DIR/existing" "u:$bin:no_such_function" \
		>/dev/null 2>&1
	expect_eq "spec error: status 2" "$?" 2
	expect_eq "spec error -o EXISTING: not truncated" \
		"$(sha256sum <"$T_DIR/existing")" "$esum"
	"$SONDE" trace -o "$T_DIR/never" "u:$bin:no_such_function" \
		>/dev/null 2>&1
	if [ -e "$T_DIR/never" ]; then
		not_ok "spec error -o NEW: no file left"
	else
		ok "spec error -o NEW: no file left"
	fi
fi

# A -c command that cannot be run: the file made for it is removed.
hygiene_begin
"$SONDE" trace -o "$T_DIR/nocmd" -c "$T_DIR/no-such-command" "u:$bin:add" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "-c cannot run: status 1" "$?" 1
if [ -e "$T_DIR/nocmd" ]; then
	not_ok "-c cannot run: no file left" "$(ls -l "$T_DIR/nocmd")"
else
	ok "-c cannot run: no file left"
fi
hygiene_check "-c cannot run: tracefs left as found"

# list, check and cleanup write a report, not a trace: -o is refused, never
# ignored, and no file is made
for sub in "list u:$bin" check cleanup; do
	# shellcheck disable=SC2086
	"$SONDE" $sub -o "$T_DIR/report" >/dev/null 2>"$T_DIR/err"
	expect_eq "${sub%% *} -o: status 2" "$?" 2
	expect_grep "${sub%% *} -o: says to redirect instead" "does not take -o: redirect its output" "$T_DIR/err"
	if [ -e "$T_DIR/report" ]; then
		not_ok "${sub%% *} -o: no file made"
	else
		ok "${sub%% *} -o: no file made"
	fi
done

finish
