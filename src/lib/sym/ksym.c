// SPDX-License-Identifier: MIT
/*
 * Kernel symbols for kprobes. /proc/kallsyms is read whole (~120k-150k
 * lines, a few MB) and parsed in place: names and module names point into
 * that one buffer. A hash table finds names; an address-sorted index of the
 * text symbols answers address -> "func+off/size" (ksym_query.c).
 *
 * Which functions a kprobe can take (kernel/kprobes.c
 * check_kprobe_address_safe(), Documentation/trace/kprobes.rst):
 *  - it must be kernel text: a t/T/w/W symbol of kallsyms. A name that is
 *    only a data symbol is refused (-EINVAL), an unknown one too (-ENOENT);
 *  - not on the kprobe blacklist (-EPERM): read from debugfs
 *    kprobes/blacklist, else rebuilt from kallsyms as the kernel builds it
 *    (NOKPROBE_SYMBOL()'s _kbl_addr_FUNC variables, and the __kprobes,
 *    noinstr and entry text areas);
 *  - not init text, freed after boot (-EINVAL);
 *  - available_filter_functions is NOT required: it lists the functions
 *    ftrace can patch, and a kprobe elsewhere (a notrace function) simply
 *    uses a breakpoint. Its absence is only a hint in msg; listings do use
 *    it (as perf-tools and bpftrace do) when it can be read.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"
#include "ksym.h"

#define DEBUGFS_MAGIC 0x64626720 /* include/uapi/linux/magic.h */

static struct kcache *cache;
/* Recursive: a ksym_glob() callback may symbolize or check. */
static pthread_mutex_t cache_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* Read a whole file; /proc and tracefs files have no size, so grow. */
static int slurp(const char *path, char **out, size_t *outlen)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (cap - len < (1 << 16)) {
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static const char *env_path(char *buf, size_t len, const char *var,
			    const char *def, const char *file)
{
	const char *root = getenv(var);

	snprintf(buf, len, "%s/%s", root && *root ? root : def, file);
	return buf;
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

bool ksym_same_mod(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* First symbol named name (any module when any_mod), starting the walk
 * after index from (NONE: from the start). */
uint32_t ksym_find(const struct kcache *c, const char *name, const char *mod,
		   bool any_mod, uint32_t from)
{
	uint32_t i = from == NONE ? c->bucket[hash(name) & (c->hsize - 1)]
				  : c->syms[from].next;

	for (; i != NONE; i = c->syms[i].next)
		if (!strcmp(c->syms[i].name, name) &&
		    (any_mod || ksym_same_mod(c->syms[i].mod, mod)))
			return i;
	return NONE;
}

static uint64_t parse_hex(const char **p)
{
	uint64_t v = 0;
	const char *s = *p;
	int d;

	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		v = v << 4 | d;
	}
	*p = s;
	return v;
}

/*
 * kallsyms lines (kernel/kallsyms.c s_show()): "%px %c %s\n", or
 * "%px %c %s\t[%s]\n" for a module's symbol. Parsed in place.
 */
static int parse_kallsyms(struct kcache *c, size_t len)
{
	char *p = c->buf, *end = c->buf + len, *nl, *s;
	size_t lines = 0;
	struct ksym *k;
	char type;

	for (s = p; (s = memchr(s, '\n', end - s)); s++)
		lines++;
	c->syms = calloc(lines + 1, sizeof(*c->syms));
	if (!c->syms)
		return -ENOMEM;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		*nl = '\0';
		k = &c->syms[c->nsyms];
		k->addr = parse_hex((const char **)&p);
		if (p[0] != ' ' || !p[1] || p[2] != ' ' || !p[3])
			continue; /* not a symbol line */
		type = p[1];
		k->name = p + 3;
		s = strchr(p + 3, '\t');
		if (s) {
			*s++ = '\0';
			if (*s == '[') {
				k->mod = s + 1;
				s = strchr(s, ']');
				if (s)
					*s = '\0';
			}
		}
		if (strchr("tTwW", type))
			k->flags = KS_TEXT;
		if (k->addr)
			c->have_addrs = true;
		c->nsyms++;
	}
	return 0;
}

static int build_hash(struct kcache *c)
{
	uint32_t i, h;

	for (c->hsize = 1024; c->hsize < c->nsyms * 2; c->hsize <<= 1)
		;
	c->bucket = malloc(c->hsize * sizeof(*c->bucket));
	if (!c->bucket)
		return -ENOMEM;
	memset(c->bucket, 0xff, c->hsize * sizeof(*c->bucket));
	/* Walk backwards so each chain lists symbols in file order. */
	for (i = c->nsyms; i-- > 0;) {
		h = hash(c->syms[i].name) & (c->hsize - 1);
		c->syms[i].next = c->bucket[h];
		c->bucket[h] = i;
	}
	return 0;
}

const struct kcache *ksym_sort_ctx;

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = &ksym_sort_ctx->syms[*(const uint32_t *)a];
	const struct ksym *y = &ksym_sort_ctx->syms[*(const uint32_t *)b];

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* same address: file order, so "_text" comes after "_stext" too */
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int ksym_cmp_name(const void *a, const void *b)
{
	const struct ksym *x = &ksym_sort_ctx->syms[*(const uint32_t *)a];
	const struct ksym *y = &ksym_sort_ctx->syms[*(const uint32_t *)b];
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (!x->mod || !y->mod)
		return !!x->mod - !!y->mod;
	return strcmp(x->mod, y->mod);
}

static int build_byaddr(struct kcache *c)
{
	uint32_t i;

	c->byaddr = malloc((c->nsyms + 1) * sizeof(*c->byaddr));
	if (!c->byaddr)
		return -ENOMEM;
	for (i = 0; i < c->nsyms; i++)
		if (c->syms[i].flags & KS_TEXT)
			c->byaddr[c->ntext++] = i;
	ksym_sort_ctx = c;
	if (c->ntext)
		qsort(c->byaddr, c->ntext, sizeof(*c->byaddr), cmp_addr);
	return 0;
}

static uint64_t core_addr(const struct kcache *c, const char *name)
{
	uint32_t i = ksym_find(c, name, NULL, false, NONE);

	return i == NONE ? 0 : c->syms[i].addr;
}

/* available_filter_functions: "name" or "name [mod]" per line
 * (kernel/trace/ftrace.c t_show(), %ps); names repeat for static functions
 * of the same name, and "__ftrace_invalid_address___N" marks dead records. */
static void load_aff(struct kcache *c)
{
	char path[512], *buf, *p, *nl, *mod;
	const char *root = getenv("SONDE_TRACEFS_ROOT");
	size_t len;
	uint32_t i;

	if (root && *root)
		snprintf(path, sizeof(path), "%s/available_filter_functions",
			 root);
	else if (tfs_root())
		snprintf(path, sizeof(path), "%s/available_filter_functions",
			 tfs_root());
	else
		return;
	if (slurp(path, &buf, &len))
		return;
	c->have_aff = true;
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		*nl = '\0';
		mod = strstr(p, " [");
		if (mod) {
			*mod = '\0';
			mod += 2;
			mod[strcspn(mod, "]")] = '\0';
		}
		for (i = ksym_find(c, p, mod, false, NONE); i != NONE;
		     i = ksym_find(c, p, mod, false, i))
			c->syms[i].flags |= KS_AFF;
		if (nl == buf + len)
			break;
	}
	free(buf);
}

static void mark_black(struct kcache *c, const char *name, const char *mod)
{
	uint32_t i;

	for (i = ksym_find(c, name, mod, false, NONE); i != NONE;
	     i = ksym_find(c, name, mod, false, i))
		c->syms[i].flags |= KS_BLACK;
}

/* The blacklist file: "0xSTART-0xEND\tname" or "... name [mod]"
 * (kernel/kprobes.c kprobe_blacklist_seq_show()). */
static int parse_blacklist(struct kcache *c, char *buf)
{
	char *p, *nl, *name, *mod;

	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		name = strchr(p, '\t');
		if (name) {
			name++;
			mod = strstr(name, " [");
			if (mod) {
				*mod = '\0';
				mod += 2;
				mod[strcspn(mod, "]")] = '\0';
			}
			mark_black(c, name, mod);
		}
		if (!nl)
			break;
	}
	return 0;
}

static bool is_debugfs(const char *dir)
{
	struct statfs st;

	return statfs(dir, &st) == 0 && st.f_type == DEBUGFS_MAGIC;
}

/* Read debugfs' blacklist; as root, mount debugfs for the read when it is
 * not mounted, and unmount it again to leave the system as found. */
static bool load_blacklist(struct kcache *c)
{
	const char *root = getenv("SONDE_DEBUGFS_ROOT");
	const char *dir = "/sys/kernel/debug";
	bool mounted = false;
	char path[512], *buf;
	size_t len;
	int err;

	if (root && *root)
		dir = root;
	else if (!is_debugfs(dir) && geteuid() == 0 &&
		 access("/sys/kernel/debug", F_OK) == 0)
		mounted = mount("debugfs", dir, "debugfs", 0, NULL) == 0;
	snprintf(path, sizeof(path), "%s/kprobes/blacklist", dir);
	err = slurp(path, &buf, &len);
	if (mounted)
		umount2(dir, MNT_DETACH);
	if (err)
		return false;
	parse_blacklist(c, buf);
	free(buf);
	return true;
}

/*
 * Without the blacklist file, rebuild it as kernel/kprobes.c
 * populate_kprobe_blacklist() does: NOKPROBE_SYMBOL(f) leaves a variable
 * _kbl_addr_f (include/asm-generic/kprobes.h), and the __kprobes, noinstr
 * and (x86) entry and retpoline thunk text areas are refused whole. On
 * Debian's 6.1 this finds all but 26 of the 396 entries: assembly
 * functions marked by _ASM_NOKPROBE (preempt_schedule_thunk, xen_asm_*)
 * leave no symbol; the kernel still refuses those when the probe is made.
 */
static void guess_blacklist(struct kcache *c)
{
	static const char kbl[] = "_kbl_addr_";
	static const char *const areas[][2] = {
		{"__kprobes_text_start", "__kprobes_text_end"},
		{"__noinstr_text_start", "__noinstr_text_end"},
		{"__entry_text_start", "__entry_text_end"},
		{"__indirect_thunk_start", "__indirect_thunk_end"},
	};
	uint64_t lo[4], hi[4];
	struct ksym *k;
	uint32_t i;
	int a;

	for (a = 0; a < 4; a++) {
		lo[a] = core_addr(c, areas[a][0]);
		hi[a] = core_addr(c, areas[a][1]);
	}
	for (i = 0; i < c->nsyms; i++) {
		k = &c->syms[i];
		if (!strncmp(k->name, kbl, sizeof(kbl) - 1))
			mark_black(c, k->name + sizeof(kbl) - 1, k->mod);
		if (!(k->flags & KS_TEXT) || k->mod || !c->have_addrs)
			continue;
		for (a = 0; a < 4; a++)
			if (lo[a] && k->addr >= lo[a] && k->addr < hi[a])
				k->flags |= KS_BLACK;
	}
}

static void mark_init(struct kcache *c)
{
	uint64_t lo = core_addr(c, "_sinittext");
	uint64_t hi = core_addr(c, "_einittext");
	uint32_t i;

	if (!c->have_addrs || !lo || hi <= lo)
		return;
	for (i = 0; i < c->nsyms; i++)
		if (!c->syms[i].mod && c->syms[i].addr >= lo &&
		    c->syms[i].addr < hi)
			c->syms[i].flags |= KS_INIT;
}

static void cache_destroy(struct kcache *c)
{
	if (!c)
		return;
	free(c->byaddr);
	free(c->bucket);
	free(c->syms);
	free(c->buf);
	free(c);
}

static int cache_load(struct kcache **out)
{
	struct kcache *c = calloc(1, sizeof(*c));
	char path[512];
	size_t len;
	int err;

	if (!c)
		return -ENOMEM;
	err = slurp(env_path(path, sizeof(path), "SONDE_PROC_ROOT", "/proc",
			     "kallsyms"),
		    &c->buf, &len);
	if (!err)
		err = parse_kallsyms(c, len);
	if (!err)
		err = build_hash(c);
	if (!err)
		err = build_byaddr(c);
	if (err) {
		cache_destroy(c);
		return err;
	}
	load_aff(c);
	if (!load_blacklist(c))
		guess_blacklist(c);
	mark_init(c);
	*out = c;
	return 0;
}

/* Lock the cache, loading it on first use. 0 or -errno (unlocked). */
int ksym_cache_get(struct kcache **c)
{
	int err = 0;

	pthread_mutex_lock(&cache_lock);
	if (!cache)
		err = cache_load(&cache);
	if (err) {
		pthread_mutex_unlock(&cache_lock);
		return err;
	}
	*c = cache;
	return 0;
}

void ksym_cache_put(void)
{
	pthread_mutex_unlock(&cache_lock);
}

void ksym_cache_free(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_destroy(cache);
	cache = NULL;
	pthread_mutex_unlock(&cache_lock);
}
