/* SPDX-License-Identifier: MIT */
/*
 * A user address's frames as its source has them (sonde_event__src_frames):
 * the DWARF scopes that hold it (dwarf_getscopes_die), innermost first, each
 * inlined subroutine a frame of its own, down to the subprogram. The
 * innermost frame's file and line are the line table's at the address;
 * each outer one's are the DW_AT_call_file and DW_AT_call_line of the
 * inlined subroutine it holds, where the inlined call was written (as
 * eu-addr2line -i and gdb print them). Through the process's Dwfl
 * (unwind.c), so the debug file is found as everywhere else in sonde.
 */
#include <dwarf.h>
#include <stdlib.h>

#include <elfutils/libdwfl.h>

#include "internal.h"
#include "unwind.h"

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	/* an inlined or out-of-line instance names its abstract origin */
	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* Where the inlined subroutine die was called from. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *die, const char **file,
		      int *line)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word f = 0, l = 0;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &l) == 0)
		*line = (int)l;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &f) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && f < nfiles)
		*file = dwarf_filesrc(files, f, NULL, NULL);
}

/* The line of the instruction at addr (bias: the module's): the last
 * statement row of the line table at exactly addr, as gdb takes it (a
 * function's first instruction has a row for its '{' and one for its
 * first statement), else the row that covers addr. */
static const char *line_at(Dwfl_Module *mod, Dwarf_Die *cu, Dwarf_Addr addr,
			   Dwarf_Addr bias, int *line)
{
	Dwarf_Lines *lines;
	Dwarf_Line *l, *best = NULL;
	Dwarf_Addr a;
	size_t n, lo = 0, hi;
	Dwfl_Line *dl;
	bool stmt;

	*line = 0;
	if (dwarf_getsrclines(cu, &lines, &n) == 0) {
		for (hi = n; lo < hi;) { /* the first row at addr or after */
			size_t mid = lo + (hi - lo) / 2;

			l = dwarf_onesrcline(lines, mid);
			if (l && dwarf_lineaddr(l, &a) == 0 && a < addr - bias)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && (l = dwarf_onesrcline(lines, lo)) &&
		       dwarf_lineaddr(l, &a) == 0 && a == addr - bias;
		     lo++)
			if (dwarf_linebeginstatement(l, &stmt) == 0 && stmt)
				best = l;
		if (best && dwarf_lineno(best, line) == 0)
			return dwarf_linesrc(best, NULL, NULL);
	}
	dl = dwfl_module_getsrc(mod, addr);
	return dl ? dwfl_lineinfo(dl, NULL, line, NULL, NULL, NULL) : NULL;
}

int sonde_event__src_frames(const struct sonde_event *ev, uint64_t addr,
			    struct sonde_src_frame *out, int max)
{
	Dwfl_Module *mod;
	Dwarf_Die *cu, *scopes = NULL, inner;
	Dwarf_Addr bias;
	const char *file = NULL, *path = NULL;
	int line = 0, ns, i, n = 0, tag;

	if (!ev || !out || max < 1 || ev->s->cg != SONDE_CALL_GRAPH_DWARF)
		return 0;
	mod = unwind_module(ev->s, sonde_event__pid(ev), addr);
	if (!mod)
		return 0;
	/* a file rewritten since it was read: its frames are bare addresses
	 * (symbolize.c), and so without lines */
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &path, NULL);
	if (!path || symcache_file_changed(&ev->s->syms, path) ||
	    !(cu = dwfl_module_addrdie(mod, addr, &bias)))
		return 0;
	file = line_at(mod, cu, addr, bias, &line);
	/* the innermost scope at addr, then every scope that holds it as
	 * the code nests them (dwarf_getscopes would go on in an inlined
	 * subroutine's abstract origin instead, as eu-addr2line -i knows) */
	ns = dwarf_getscopes(cu, addr - bias, &scopes);
	if (ns > 0) {
		inner = scopes[0];
		free(scopes);
		scopes = NULL;
		ns = dwarf_getscopes_die(&inner, &scopes);
	}
	for (i = 0; i < ns && n < max; i++) {
		tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_subprogram &&
		    tag != DW_TAG_inlined_subroutine)
			continue;
		out[n++] = (struct sonde_src_frame){
			.func = die_name(&scopes[i]),
			.file = file,
			.line = line,
			.inlined = tag == DW_TAG_inlined_subroutine,
		};
		if (tag == DW_TAG_subprogram)
			break;
		call_site(cu, &scopes[i], &file, &line);
	}
	free(scopes);
	return n;
}

enum sonde_call_graph sonde_session__call_graph(const struct sonde_session *s)
{
	return s ? s->cg : SONDE_CALL_GRAPH_AUTO;
}
