/* SPDX-License-Identifier: MIT */
/*
 * sonde stack --svg FILE: the counted stacks drawn as a flame graph in one
 * self-contained SVG file (flame_svg.h). The root box "all" spans every
 * hit; on each box stand the frames it called, each as wide as the hits
 * of the stacks that pass through it, siblings in name order (so stacks
 * with the same first frames share their boxes), the gap right of a box's
 * children being the hits that ended in it.
 *
 * The file carries its own small script and needs nothing else: a box's
 * <title> (the tooltip) holds the whole frame name and its hits, a click
 * zooms to a box, "Search" (or Ctrl-F) colours the frames a regular
 * expression matches and says what share of the hits they hold. Without a
 * script (an image viewer, rsvg-convert) the picture is the same, still.
 *
 * Frame names come from outside (symbols of the traced program): they are
 * made printable first (sonde_text__escape(): control characters and
 * bytes that are not UTF-8 become \xHH, so the file is valid UTF-8 and
 * XML 1.0), then XML-escaped (C++ names hold < > & and quotes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#include "flame_svg.h"

#define W FLAME_SVG_WIDTH
#define PAD FLAME_SVG_PAD
#define FRAME_H 16    /* a box's height, a pixel of it the gap */
#define TOP 62	      /* title, subtitle, buttons */
#define BOTTOM 30     /* the line that details the box under the mouse */
#define CHAR_W 7.2    /* 12px monospace, per character (the script too) */
#define TITLE_MAX 150 /* characters of the title and subtitle shown */
#define STR(x) #x
#define XSTR(x) STR(x)

struct svg {
	FILE *out;
	uint64_t total;
	double scale; /* pixels per hit */
	double height;
	char *buf; /* a frame name, NUL-terminated, then made printable */
	size_t cap;
};

/* A box open while stacks that go through it follow, sorted. */
struct open_frame {
	const char *name;
	size_t len;
	uint64_t start; /* hits left of it */
};

/* Frame-wise order: the end of a frame (';', then the stack's end) before
 * any byte, so a frame sorts before every longer name it begins and the
 * stacks through the same first frames are neighbours; the stacks that
 * go on (';') before the one that ends there, whose hits are then right
 * of the boxes of the frames it called. */
static int rank(unsigned char c)
{
	return c == ';' ? 0 : c == '\0' ? 1 : c + 2;
}

static int cmp_stacks(const void *a, const void *b)
{
	const unsigned char *x =
		(const unsigned char *)((const struct flame_stack *)a)->frames;
	const unsigned char *y =
		(const unsigned char *)((const struct flame_stack *)b)->frames;

	for (; rank(*x) == rank(*y); x++, y++)
		if (!*x)
			return 0;
	return rank(*x) < rank(*y) ? -1 : 1;
}

/* The frame at *cur (NULL: no more): its name and length; *cur moves past
 * it and its ';'. "" has no frame, "a;" two ("a" and ""). */
static bool next_frame(const char **cur, const char **name, size_t *len)
{
	const char *semi;

	if (!*cur)
		return false;
	*name = *cur;
	semi = strchr(*cur, ';');
	*len = semi ? (size_t)(semi - *cur) : strlen(*cur);
	*cur = semi ? semi + 1 : NULL;
	return true;
}

static size_t count_frames(const char *s)
{
	const char *name;
	size_t len, n = 0;

	s = *s ? s : NULL;
	while (next_frame(&s, &name, &len))
		n++;
	return n;
}

/* s (len bytes) made printable in sv->buf; NULL without memory. */
static const char *printable(struct svg *sv, const char *s, size_t len)
{
	size_t need;
	char *raw;

	raw = strndup(s, len);
	if (!raw)
		return NULL;
	need = sonde_text__escape(NULL, 0, raw, 0) + 1;
	if (need > sv->cap) {
		char *grown = realloc(sv->buf, need);

		if (!grown) {
			free(raw);
			return NULL;
		}
		sv->buf = grown;
		sv->cap = need;
	}
	sonde_text__escape(sv->buf, sv->cap, raw, 0);
	free(raw);
	return sv->buf;
}

/* Write s XML-escaped, at most max characters of it (UTF-8 sequences
 * counted once): when it is longer, max - 2 of them and "..". */
static void put_xml(FILE *out, const char *s, size_t max)
{
	size_t chars = 0, keep;
	const char *p;

	for (p = s; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	keep = chars <= max ? chars : max < 2 ? 0 : max - 2;
	for (chars = 0; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 && chars++ == keep)
			break;
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
	if (*s)
		fputs("..", out);
}

/* flamegraph.pl's "hot" palette, from a hash of the name: the same
 * function has the same colour in every graph. */
static void put_colour(FILE *out, const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	fprintf(out, "rgb(%u,%u,%u)", 205 + h % 51, (h >> 8) % 231,
		(h >> 20) % 56);
}

/* The box of a frame depth frames above the root (the root: 0). */
static int put_box(struct svg *sv, const char *name, size_t len, uint64_t start,
		   uint64_t n, size_t depth)
{
	double x = PAD + start * sv->scale, w = n * sv->scale;
	double y = sv->height - BOTTOM - (depth + 1) * FRAME_H;
	double fit = (w - 6) / CHAR_W;
	const char *text;
	FILE *out = sv->out;

	if (w < FLAME_SVG_MIN_WIDTH)
		return 0;
	text = printable(sv, name, len);
	if (!text)
		return -ENOMEM;
	fputs("<g><title>", out);
	put_xml(out, text, SIZE_MAX);
	fprintf(out, " (%" PRIu64 " %s, %.2f%%)</title>", n,
		n == 1 ? "hit" : "hits", 100.0 * n / sv->total);
	fprintf(out,
		"<rect x=\"%.3f\" y=\"%.1f\" width=\"%.3f\" height=\"%d\" "
		"rx=\"2\" fill=\"",
		x, y, w, FRAME_H - 1);
	put_colour(out, name, len);
	fprintf(out, "\"/><text x=\"%.3f\" y=\"%.1f\">", x + 3, y + 11.5);
	if (fit >= 3)
		put_xml(out, text, (size_t)fit);
	fputs("</text></g>\n", out);
	return 0;
}

/* The script: init() reads each box back from the file (its place, the
 * name and hits in its title); zoom() lays the boxes out again; search()
 * marks matches. Names are fitted to boxes as put_box() does. */
/* clang-format off */
static const char script[] =
	"\"use strict\";\n"
	"var W = " XSTR(FLAME_SVG_WIDTH) ", PAD = " XSTR(FLAME_SVG_PAD)
	", CW = " XSTR(CHAR_W) ", boxes, total,\n"
	"    details, matched, unzoom, searchBtn, searching = false;\n"
	"function el(id) { return document.getElementById(id); }\n"
	"function rectOf(g) { return g.getElementsByTagName(\"rect\")[0]; }\n"
	"function fit(name, w) {\n"
	"  var n = Math.floor((w - 6) / CW);\n"
	"  if (n < 3) return \"\";\n"
	"  return name.length <= n ? name : name.slice(0, n - 2) + \"..\";\n"
	"}\n"
	"function init() {\n"
	"  details = el(\"details\"); matched = el(\"matched\");\n"
	"  unzoom = el(\"unzoom\"); searchBtn = el(\"search\");\n"
	"  boxes = [].slice.call(el(\"frames\").getElementsByTagName(\"g\"));\n"
	"  boxes.forEach(function (g) {\n"
	"    var r = rectOf(g), t = g.getElementsByTagName(\"title\")[0];\n"
	"    var tip = t.textContent, cut = tip.lastIndexOf(\" (\");\n"
	"    g.x0 = +r.getAttribute(\"x\"); g.w0 = +r.getAttribute(\"width\");\n"
	"    g.y0 = +r.getAttribute(\"y\");\n"
	"    g.name = tip.slice(0, cut);\n"
	"    g.hits = parseInt(tip.slice(cut + 2), 10);\n"
	"    g.addEventListener(\"click\", function () { zoom(g); });\n"
	"    g.addEventListener(\"mouseover\", function () {\n"
	"      details.textContent = tip; });\n"
	"    g.addEventListener(\"mouseout\", function () {\n"
	"      details.textContent = \" \"; });\n"
	"  });\n"
	"  total = boxes.length ? boxes[0].hits : 0;\n"
	"  unzoom.addEventListener(\"click\", function () { zoom(null); });\n"
	"  searchBtn.addEventListener(\"click\", search);\n"
	"  window.addEventListener(\"keydown\", function (e) {\n"
	"    if ((e.ctrlKey || e.metaKey) && e.key === \"f\") {\n"
	"      e.preventDefault(); search();\n"
	"    } else if (e.key === \"Escape\") {\n"
	"      if (searching) search(); else zoom(null);\n"
	"    }\n"
	"  });\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = rectOf(g), t = g.getElementsByTagName(\"text\")[0];\n"
	"  r.setAttribute(\"x\", x.toFixed(3));\n"
	"  r.setAttribute(\"width\", w.toFixed(3));\n"
	"  t.setAttribute(\"x\", (x + 3).toFixed(3));\n"
	"  t.textContent = fit(g.name, w);\n"
	"}\n"
	"/* g: the box to widen to the whole picture (null: the root) */\n"
	"function zoom(g) {\n"
	"  if (g === boxes[0]) g = null;\n"
	"  var e = 0.01, x0 = g ? g.x0 : PAD, w0 = g ? g.w0 : W - 2 * PAD;\n"
	"  var y0 = g ? g.y0 : Infinity, k = (W - 2 * PAD) / w0;\n"
	"  boxes.forEach(function (f) {\n"
	"    var over = f.x0 <= x0 + e && f.x0 + f.w0 >= x0 + w0 - e;\n"
	"    var within = f.x0 >= x0 - e && f.x0 + f.w0 <= x0 + w0 + e;\n"
	"    f.style.display = \"\";\n"
	"    f.classList.remove(\"under\");\n"
	"    if (g && f.y0 > y0 && over) {\n"
	"      place(f, PAD, W - 2 * PAD); f.classList.add(\"under\");\n"
	"    } else if (!g || (f.y0 <= y0 && within)) {\n"
	"      place(f, PAD + (f.x0 - x0) * k, f.w0 * k);\n"
	"    } else {\n"
	"      f.style.display = \"none\";\n"
	"    }\n"
	"  });\n"
	"  unzoom.classList.toggle(\"hide\", !g);\n"
	"}\n"
	"/* asks for a regular expression; asked again, clears the marks */\n"
	"function search() {\n"
	"  var re, s, found = [], hits = 0, end = -1;\n"
	"  boxes.forEach(function (f) { rectOf(f).classList.remove(\"match\"); });\n"
	"  matched.textContent = \" \";\n"
	"  searchBtn.textContent = \"Search\";\n"
	"  if (searching) { searching = false; return; }\n"
	"  s = prompt(\"Frames matching (a regular expression):\", \"\");\n"
	"  if (!s) return;\n"
	"  try { re = new RegExp(s); } catch (err) { alert(err.message); return; }\n"
	"  searching = true;\n"
	"  searchBtn.textContent = \"Reset search\";\n"
	"  boxes.forEach(function (f) {\n"
	"    if (f !== boxes[0] && re.test(f.name)) {\n"
	"      rectOf(f).classList.add(\"match\"); found.push(f);\n"
	"    }\n"
	"  });\n"
	"  /* a match inside another is counted once: boxes nest or are apart */\n"
	"  found.sort(function (a, b) { return a.x0 - b.x0 || b.w0 - a.w0; });\n"
	"  found.forEach(function (f) {\n"
	"    if (f.x0 + f.w0 <= end + 0.01) return;\n"
	"    hits += f.hits; end = f.x0 + f.w0;\n"
	"  });\n"
	"  matched.textContent = \"Matched: \" + hits + \" of \" + total +\n"
	"    \" hits (\" + (total ? 100 * hits / total : 0).toFixed(2) + \"%)\";\n"
	"}\n";

static const char style[] =
	"text { font: 12px monospace; fill: #000; }\n"
	"#frames text { pointer-events: none; }\n"
	"#frames g { cursor: pointer; }\n"
	"#frames g:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	"#title { font-size: 17px; }\n"
	".btn { fill: #1a3ec0; cursor: pointer; }\n"
	".hide { display: none; }\n"
	".under { opacity: 0.5; }\n"
	"rect.match { fill: rgb(230,0,230); }\n";
/* clang-format on */

/* A line of the heading, printable, cut to TITLE_MAX, and its </text>. */
static void put_line(struct svg *sv, const char *s)
{
	const char *text = printable(sv, s, strlen(s));

	put_xml(sv->out, text ? text : "", TITLE_MAX);
	fputs("</text>\n", sv->out);
}

static void put_head(struct svg *sv, const char *title, const char *subtitle)
{
	FILE *out = sv->out;

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"onload=\"init()\">\n",
		W, sv->height, W, sv->height);
	fprintf(out,
		"<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" "
		"x2=\"0\" y2=\"1\"><stop offset=\"5%%\" stop-color=\"#eee\"/>"
		"<stop offset=\"95%%\" stop-color=\"#eeeeb0\"/>"
		"</linearGradient></defs>\n");
	fprintf(out, "<style>\n%s</style>\n", style);
	fprintf(out,
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
		script);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" "
		"fill=\"url(#bg)\"/>\n",
		W, sv->height);
	fprintf(out,
		"<text id=\"title\" x=\"%d\" y=\"24\" "
		"text-anchor=\"middle\">",
		W / 2);
	put_line(sv, title);
	if (subtitle) {
		fprintf(out,
			"<text id=\"subtitle\" x=\"%d\" y=\"44\" "
			"text-anchor=\"middle\">",
			W / 2);
		put_line(sv, subtitle);
	}
	fprintf(out,
		"<text id=\"unzoom\" class=\"btn hide\" x=\"%d\" "
		"y=\"24\">Reset zoom</text>\n",
		PAD);
	fprintf(out,
		"<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" "
		"text-anchor=\"end\">Search</text>\n",
		W - PAD);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%.0f\"> </text>\n", PAD,
		sv->height - 10);
	fprintf(out,
		"<text id=\"matched\" x=\"%d\" y=\"%.0f\" "
		"text-anchor=\"end\"> </text>\n",
		W - PAD, sv->height - 10);
}

/* The boxes: the stacks sorted, each box closed (drawn) when the first
 * stack that does not go through it comes. */
static int put_boxes(struct svg *sv, struct flame_stack *st, size_t n,
		     size_t depth)
{
	struct open_frame *open = calloc(depth ? depth : 1, sizeof(*open));
	const char *cur, *name;
	size_t i, d, nopen = 0, len;
	uint64_t pos = 0;
	int err = 0;

	if (!open)
		return -ENOMEM;
	for (i = 0; i <= n && !err; i++) {
		cur = i < n && *st[i].frames ? st[i].frames : NULL;
		for (d = 0; d < nopen; d++) {
			const char *at = cur;

			if (!next_frame(&cur, &name, &len) ||
			    len != open[d].len ||
			    memcmp(name, open[d].name, len)) {
				cur = at; /* the first frame not shared */
				break;
			}
		}
		while (nopen > d && !err) {
			nopen--;
			err = put_box(sv, open[nopen].name, open[nopen].len,
				      open[nopen].start,
				      pos - open[nopen].start, nopen + 1);
		}
		while (i < n && next_frame(&cur, &name, &len))
			open[nopen++] = (struct open_frame){ name, len, pos };
		if (i < n)
			pos += st[i].count;
	}
	free(open);
	return err;
}

int flame_svg_write(FILE *out, struct flame_stack *stacks, size_t n,
		    const char *title, const char *subtitle)
{
	struct svg sv = { .out = out };
	size_t i, depth = 0, d;
	int err = 0;

	for (i = 0; i < n; i++) {
		sv.total += stacks[i].count;
		d = count_frames(stacks[i].frames);
		if (d > depth)
			depth = d;
	}
	qsort(stacks, n, sizeof(*stacks), cmp_stacks);
	sv.height = TOP + (depth + 1) * FRAME_H + BOTTOM;
	sv.scale = sv.total ? (W - 2.0 * PAD) / sv.total : 0;
	put_head(&sv, title ? title : "Flame graph", subtitle);
	fputs("<g id=\"frames\">\n", out);
	if (sv.total) {
		err = put_box(&sv, "all", 3, 0, sv.total, 0);
		if (!err)
			err = put_boxes(&sv, stacks, n, depth);
	} else {
		fprintf(out,
			"<text x=\"%d\" y=\"%.0f\" text-anchor=\"middle\">"
			"no stacks were counted</text>\n",
			W / 2, sv.height - BOTTOM - FRAME_H + 11.5);
	}
	fputs("</g>\n</svg>\n", out);
	free(sv.buf);
	return err;
}
