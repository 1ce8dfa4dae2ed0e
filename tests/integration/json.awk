# A small strict JSON reader for sonde's -f json lines (POSIX awk, so it runs
# in the busybox VM where there is no jq). For each line, prints
#   PROBE: name=value name=value ...
# (strings as "..." with their JSON escapes kept; " faults=[...]" after them
# when the line has a faults list), or with -v only=KEY the
# top-level KEY's value. A line that is not a JSON object with time, comm,
# pid, tid, cpu, probe and args prints "JSON-ERROR line N: why" and makes
# the exit status 1.

function err(why)
{
	if (!bad)
		printf "JSON-ERROR line %d: %s at column %d: %s\n", NR, why, pos, $0
	bad = 1
}

function ws()
{
	while (pos <= len && index(" \t\r\n", substr(s, pos, 1)))
		pos++
}

function peek()
{
	ws()
	return substr(s, pos, 1)
}

function expect(c)
{
	if (peek() != c) {
		err("expected '" c "'")
		return 0
	}
	pos++
	return 1
}

# string: returns the raw text between the quotes, escapes kept.
function str(   start, c)
{
	if (!expect("\""))
		return ""
	start = pos
	while (pos <= len) {
		c = substr(s, pos, 1)
		if (c == "\\") {
			c = substr(s, pos + 1, 1)
			if (!index("\"\\/bfnrtu", c)) {
				err("bad escape")
				return ""
			}
			if (c == "u" && substr(s, pos + 2, 4) !~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/) {
				err("bad \\u escape")
				return ""
			}
			pos += 2
			continue
		}
		if (c == "\"") {
			pos++
			return substr(s, start, pos - 1 - start)
		}
		# control characters must be escaped
		if (c < " ") {
			err("raw control character in string")
			return ""
		}
		pos++
	}
	err("unterminated string")
	return ""
}

# value: returns its display form: numbers and literals as written, strings
# quoted, objects flattened "k=v k=v" (only args has one).
function value(   c, t, k, v, out, rest)
{
	c = peek()
	vtype = ""
	if (c == "\"") {
		t = str()
		vtype = "string"
		return "\"" t "\""
	}
	if (c == "{") {
		pos++
		out = ""
		if (peek() == "}") {
			pos++
			vtype = "object"
			return out
		}
		while (!bad) {
			k = str()
			if (!expect(":"))
				break
			v = value()
			out = out (out == "" ? "" : " ") k "=" v
			c = peek()
			pos++
			if (c == "}")
				break
			if (c != ",") {
				err("expected ',' or '}'")
				break
			}
		}
		vtype = "object"
		return out
	}
	if (c == "[") {
		# arrays (stack, faults, array args): "[v,v]"
		pos++
		out = ""
		if (peek() == "]") {
			pos++
			vtype = "array"
			return "[]"
		}
		while (!bad) {
			v = value()
			out = out (out == "" ? "" : ",") v
			c = peek()
			pos++
			if (c == "]")
				break
			if (c != ",") {
				err("expected ',' or ']'")
				break
			}
		}
		vtype = "array"
		return "[" out "]"
	}
	rest = substr(s, pos)
	if (match(rest, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
		pos += RLENGTH
		vtype = "number"
		return substr(rest, 1, RLENGTH)
	}
	if (match(rest, /^(true|false|null)/)) {
		pos += RLENGTH
		vtype = "literal"
		return substr(rest, 1, RLENGTH)
	}
	err("bad value")
	return ""
}

{
	s = $0
	len = length(s)
	pos = 1
	bad = 0
	split("", f)
	split("", ty)
	if (!expect("{"))
		next
	if (peek() != "}") {
		while (!bad) {
			k = str()
			if (!expect(":"))
				break
			f[k] = value()
			ty[k] = vtype
			c = peek()
			pos++
			if (c == "}")
				break
			if (c != ",") {
				err("expected ',' or '}'")
				break
			}
		}
	} else {
		pos++
	}
	if (!bad && peek() != "")
		err("trailing text")
	if (!bad) {
		if (ty["time"] != "number" || ty["pid"] != "number" ||
		    ty["tid"] != "number" || ty["cpu"] != "number")
			err("time/pid/tid/cpu missing or not numbers")
		else if (ty["comm"] != "string" || ty["probe"] != "string")
			err("comm/probe missing or not strings")
		else if (ty["args"] != "object")
			err("args missing or not an object")
	}
	if (bad) {
		failed = 1
		next
	}
	if (only != "") {
		v = f[only]
		if (ty[only] == "string")
			v = substr(v, 2, length(v) - 2)
		print v
		next
	}
	p = substr(f["probe"], 2, length(f["probe"]) - 2)
	print p ":" (f["args"] == "" ? "" : " " f["args"]) \
		(ty["faults"] == "array" ? " faults=" f["faults"] : "") \
		(ty["unchecked"] == "array" ? " unchecked=" f["unchecked"] : "")
}

END {
	exit failed
}
