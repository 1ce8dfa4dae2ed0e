// SPDX-License-Identifier: MIT
// Run the script of a `sonde stack --svg` flame graph in node, on a small
// stand-in for the browser's DOM made from the boxes flame_check.py read
// (test-flame-svg.sh): what a click, a search and Escape do to the boxes.
//
// usage: node flame_js.js DOM.json STEP...
// STEP: zoom=NAME (click the widest box called NAME), unzoom (click "Reset
// zoom"), search=REGEX (click "Search", REGEX typed in the prompt),
// escape (the Escape key).
// After each step prints, tab-separated, for each box shown:
//   STEP box NAME HITS X WIDTH FLAGS     (FLAGS: under, match)
// then "STEP matched TEXT", "STEP unzoom shown|hidden", and
// "STEP label NAME TEXT" for the box of zoom=NAME.
"use strict";
const fs = require("fs");
const vm = require("vm");

const dom = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const byId = {};

class El {
	constructor(tag, attrs, kids) {
		this.tagName = tag;
		this.attrs = Object.assign({}, attrs);
		this.kids = kids || [];
		this.style = { display: "" };
		this.textContent = "";
		this.on = {};
		const cls = new Set((this.attrs.class || "").split(" ").filter(Boolean));
		this.classList = {
			add: (c) => cls.add(c),
			remove: (c) => cls.delete(c),
			contains: (c) => cls.has(c),
			toggle: (c, force) => {
				const want = force === undefined ? !cls.has(c) : !!force;
				if (want)
					cls.add(c);
				else
					cls.delete(c);
				return want;
			},
		};
		if (this.attrs.id)
			byId[this.attrs.id] = this;
	}
	getAttribute(n) {
		return n in this.attrs ? String(this.attrs[n]) : null;
	}
	setAttribute(n, v) {
		this.attrs[n] = String(v);
	}
	getElementsByTagName(t) {
		const out = [];
		const walk = (e) => e.kids.forEach((k) => {
			if (k.tagName === t)
				out.push(k);
			walk(k);
		});
		walk(this);
		return out;
	}
	addEventListener(ev, fn) {
		(this.on[ev] = this.on[ev] || []).push(fn);
	}
	fire(ev, arg) {
		(this.on[ev] || []).forEach((fn) => fn(arg || {}));
	}
}

const boxes = dom.boxes.map((b) => {
	const title = new El("title");
	title.textContent = b.tip;
	const text = new El("text", { x: b.x + 3 });
	text.textContent = b.text;
	return new El("g", {}, [title, new El("rect", { x: b.x, y: b.y, width: b.w }), text]);
});
new El("g", { id: "frames" }, boxes);
for (const id of ["details", "matched", "title", "subtitle"])
	new El("text", { id });
new El("text", { id: "unzoom", class: "btn hide" });
new El("text", { id: "search", class: "btn" });

let answer = "";
const win = new El("window");
const ctx = vm.createContext({
	document: { getElementById: (id) => byId[id] || null },
	window: win,
	prompt: () => answer,
	alert: (m) => console.log("alert\t" + m),
	console,
});
vm.runInContext(dom.script, ctx);
ctx.init();

const nameOf = (g) => g.kids[0].textContent.replace(/ \(\d+ hits?, [0-9.]+%\)$/, "");
const hitsOf = (g) => +g.kids[0].textContent.match(/\((\d+) hits?, [0-9.]+%\)$/)[1];
const rectOf = (g) => g.kids[1];

function report(step, zoomed) {
	for (const g of boxes) {
		if (g.style.display === "none")
			continue;
		const r = rectOf(g), flags = [];
		if (g.classList.contains("under"))
			flags.push("under");
		if (r.classList.contains("match"))
			flags.push("match");
		console.log([step, "box", nameOf(g), hitsOf(g),
			(+r.getAttribute("x")).toFixed(3),
			(+r.getAttribute("width")).toFixed(3), flags.join(",")].join("\t"));
	}
	console.log(step + "\tmatched\t" + byId.matched.textContent.trim());
	console.log(step + "\tunzoom\t" +
		(byId.unzoom.classList.contains("hide") ? "hidden" : "shown"));
	if (zoomed)
		console.log(step + "\tlabel\t" + nameOf(zoomed) + "\t" + zoomed.kids[2].textContent);
}

for (const step of process.argv.slice(3)) {
	const [what, arg] = step.split(/=(.*)/s);
	let zoomed = null;
	if (what === "zoom") {
		zoomed = boxes.filter((g) => nameOf(g) === arg)
			.sort((a, b) => hitsOf(b) - hitsOf(a))[0];
		zoomed.fire("click");
	} else if (what === "unzoom") {
		byId.unzoom.fire("click");
	} else if (what === "search") {
		answer = arg;
		byId.search.fire("click");
	} else if (what === "escape") {
		win.fire("keydown", { key: "Escape", preventDefault() {} });
	}
	report(step, zoomed);
}
