/* SPDX-License-Identifier: MIT */
/*
 * Finding and opening separate debug info (see debuginfo.h for the search
 * order, which is gdb's). Every candidate is checked before use: the
 * debuglink CRC over the whole file, the build-id when both files have
 * one, and a .symtab to take symbols from.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LZMA
#include <lzma.h>
#endif

#include "debuginfo.h"
#include "debuginfod.h"
#include "elf_scn.h"

/* MiniDebugInfo images are a few MB; anything far larger is a bomb. */
#define XZ_MAX_OUT (256u << 20)

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

uint32_t debuginfo_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!crc_table[1])
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int debuginfo_file_crc32(int fd, uint32_t *crc)
{
	unsigned char buf[65536];
	uint32_t c = 0;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		c = debuginfo_crc32(c, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*crc = c;
	return 0;
}

int debuginfo_build_id(Elf *elf, const uint8_t **id, size_t *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			/* include/uapi/linux/elf.h: NT_GNU_BUILD_ID, "GNU" */
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + noff, "GNU", 4) &&
			    nh.n_descsz > 0 && nh.n_descsz <= 64) {
				*id = (const uint8_t *)d->d_buf + doff;
				*len = nh.n_descsz;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* binutils bfd/opncls.c: NAME\0, padding to 4, then the u32 CRC in the
 * file's byte order. */
int debuginfo_debuglink(Elf *elf, const char **name, uint32_t *crc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_section_named(elf, ".gnu_debuglink", &sh);
	Elf_Data *d, dst, src;
	size_t nlen, crcoff;
	uint32_t c;
	GElf_Ehdr eh;

	if (!scn || !(d = elf_getdata(scn, NULL)) || !d->d_buf || !d->d_size)
		return -ENOENT;
	nlen = strnlen(d->d_buf, d->d_size);
	crcoff = (nlen + 4) & ~(size_t)3;
	if (!nlen || crcoff + 4 > d->d_size || !gelf_getehdr(elf, &eh))
		return -ENOENT;
	src = (Elf_Data){.d_buf = (char *)d->d_buf + crcoff,
			 .d_size = 4,
			 .d_type = ELF_T_WORD,
			 .d_version = EV_CURRENT};
	dst = (Elf_Data){.d_buf = &c,
			 .d_size = 4,
			 .d_type = ELF_T_WORD,
			 .d_version = EV_CURRENT};
	if (!gelf_xlatetom(elf, &dst, &src, eh.e_ident[EI_DATA]))
		return -ENOENT;
	*name = d->d_buf;
	*crc = c;
	return 0;
}

static bool has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB &&
		    sh.sh_size > sh.sh_entsize)
			return true;
	return false;
}

void debuginfo_close(struct debug_file *d)
{
	if (!d)
		return;
	elf_end(d->elf);
	if (d->fd >= 0)
		close(d->fd);
	free(d->mem);
	free(d->path);
	free(d);
}

struct search {
	Elf *elf;
	const char *path;
	struct stat self;
	char *note;
	size_t notelen;
};

static void refuse(struct search *sr, const char *path, const char *why)
{
	if (sr->note && sr->notelen && !sr->note[0])
		snprintf(sr->note, sr->notelen, "%s was refused: %s", path,
			 why);
}

/* Open candidate path; want_crc (when non-NULL) must match the file's. */
static struct debug_file *try_file(struct search *sr, const char *path,
				   const uint32_t *want_crc)
{
	const uint8_t *id, *myid;
	size_t idlen, myidlen;
	struct debug_file *d;
	struct stat st;
	uint32_t crc;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* the debuglink may name the file itself (not stripped) */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_dev == sr->self.st_dev && st.st_ino == sr->self.st_ino)) {
		close(fd);
		return NULL;
	}
	if (want_crc && (debuginfo_file_crc32(fd, &crc) || crc != *want_crc)) {
		close(fd);
		refuse(sr, path,
		       "its CRC does not match the .gnu_debuglink of the file");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return NULL;
	}
	d->fd = fd;
	d->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF) {
		refuse(sr, path, "not an ELF file");
		goto fail;
	}
	if (!debuginfo_build_id(sr->elf, &myid, &myidlen) &&
	    !debuginfo_build_id(d->elf, &id, &idlen) &&
	    (idlen != myidlen || memcmp(id, myid, idlen))) {
		refuse(sr, path, "its build-id differs from the file's");
		goto fail;
	}
	if (!has_symtab(d->elf))
		goto fail;
	d->path = strdup(path);
	if (!d->path)
		goto fail;
	return d;
fail:
	debuginfo_close(d);
	return NULL;
}

/* Call fn for each dir of the colon-separated list. */
static struct debug_file *each_dir(struct search *sr, const char *dirs,
				   struct debug_file *(*fn)(struct search *,
							    const char *,
							    size_t, void *),
				   void *ctx)
{
	const char *p = dirs;
	struct debug_file *d;

	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (len && (d = fn(sr, p, len, ctx)))
			return d;
		p = colon ? colon + 1 : NULL;
	}
	return NULL;
}

static struct debug_file *by_build_id(struct search *sr, const char *dir,
				      size_t dlen, void *ctx)
{
	const char *hex = ctx;
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%.*s/.build-id/%.2s/%s.debug",
		     (int)dlen, dir, hex, hex + 2);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return try_file(sr, path, NULL);
}

struct link {
	const char *name, *dir;
	uint32_t crc;
};

static struct debug_file *by_link_in(struct search *sr, const char *dir,
				     size_t dlen, void *ctx)
{
	struct link *l = ctx;
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%.*s%s/%s", (int)dlen, dir, l->dir,
		     l->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return try_file(sr, path, &l->crc);
}

static struct debug_file *by_debuglink(struct search *sr, const char *dirs)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct debug_file *d;
	struct link l;
	const char *slash;

	if (debuginfo_debuglink(sr->elf, &l.name, &l.crc) ||
	    strchr(l.name, '/'))
		return NULL;
	slash = strrchr(sr->path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - sr->path) : 1,
		 slash ? sr->path : ".");
	l.dir = dir;
	snprintf(path, sizeof(path), "%s/%s", dir, l.name);
	d = try_file(sr, path, &l.crc);
	if (d)
		return d;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, l.name);
	d = try_file(sr, path, &l.crc);
	if (d)
		return d;
	return each_dir(sr, dirs, by_link_in, &l);
}

static struct debug_file *by_name_in(struct search *sr, const char *dir,
				     size_t dlen, void *ctx)
{
	const char *base = ctx;
	static const char *const fmt[] = {"%.*s/%s.debug", "%.*s/%s"};
	struct debug_file *d;
	char path[PATH_MAX];
	size_t i;
	int n;

	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		n = snprintf(path, sizeof(path), fmt[i], (int)dlen, dir, base);
		if (n < 0 || (size_t)n >= sizeof(path))
			return NULL;
		d = try_file(sr, path, NULL);
		if (d)
			return d;
	}
	return NULL;
}

/* DIR/NAME.debug, then DIR/NAME (an unstripped copy) in each debug dir:
 * what `objcopy --only-keep-debug` leaves when no debuglink was added.
 * try_file() refuses one whose build-id differs from the file's. */
static struct debug_file *by_name(struct search *sr, const char *dirs)
{
	const char *slash = strrchr(sr->path, '/');
	const char *base = slash ? slash + 1 : sr->path;

	if (!*base || !strncmp(sr->path, "/proc/self/fd/", 14))
		return NULL;
	return each_dir(sr, dirs, by_name_in, (void *)base);
}

/* From a debuginfod server (debuginfod.c): a file with the same
 * build-id only, as the client checks nothing itself. */
static struct debug_file *by_debuginfod(struct search *sr, const char *hex)
{
	struct debug_file *d;
	const uint8_t *id;
	size_t len;
	char *path;

	if (debuginfod_fetch(hex, sr->path, &path, sr->note, sr->notelen))
		return NULL;
	d = try_file(sr, path, NULL);
	if (d && debuginfo_build_id(d->elf, &id, &len)) {
		refuse(sr, path, "it has no build-id");
		debuginfo_close(d);
		d = NULL;
	}
	free(path);
	return d;
}

#ifdef HAVE_LZMA
int debuginfo_xz_decode(const void *in, size_t inlen, void **out,
			size_t *outlen)
{
	lzma_stream st = LZMA_STREAM_INIT;
	size_t cap = inlen * 4 + 4096;
	unsigned char *buf = NULL, *nb;
	lzma_ret r;

	if (lzma_stream_decoder(&st, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	st.next_in = in;
	st.avail_in = inlen;
	do {
		if (!buf || !st.avail_out) {
			if (buf)
				cap *= 2;
			if (cap > XZ_MAX_OUT || !(nb = realloc(buf, cap)))
				goto fail;
			st.next_out = nb + st.total_out;
			buf = nb;
			st.avail_out = cap - st.total_out;
		}
		r = lzma_code(&st, LZMA_FINISH);
	} while (r == LZMA_OK);
	if (r != LZMA_STREAM_END)
		goto fail;
	*out = buf;
	*outlen = st.total_out;
	lzma_end(&st);
	return 0;
fail:
	lzma_end(&st);
	free(buf);
	return cap > XZ_MAX_OUT ? -EFBIG : -EINVAL;
}
#else
int debuginfo_xz_decode(const void *in, size_t inlen, void **out,
			size_t *outlen)
{
	return -ENOTSUP;
}
#endif

static struct debug_file *mini_debuginfo(struct search *sr)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_section_named(sr->elf, ".gnu_debugdata", &sh);
	struct debug_file *d;
	Elf_Data *data;
	size_t len;
	int err;

	if (!scn || sh.sh_type == SHT_NOBITS ||
	    !(data = elf_getdata(scn, NULL)) || !data->d_buf)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->fd = -1;
	err = debuginfo_xz_decode(data->d_buf, data->d_size, &d->mem, &len);
	if (err) {
		refuse(sr, ".gnu_debugdata",
		       err == -ENOTSUP ? "sonde was built without liblzma"
				       : "it is not a valid xz stream");
		goto fail;
	}
	d->elf = elf_memory(d->mem, len);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF || !has_symtab(d->elf))
		goto fail;
	if (asprintf(&d->path, "%s[.gnu_debugdata]", sr->path) < 0) {
		d->path = NULL;
		goto fail;
	}
	return d;
fail:
	debuginfo_close(d);
	return NULL;
}

int debuginfo_open(Elf *elf, const char *path, const char *dirs,
		   struct debug_file **out, char *note, size_t notelen)
{
	struct search sr = {
		.elf = elf, .path = path, .note = note, .notelen = notelen};
	const uint8_t *id;
	char hex[2 * 64 + 1] = "";
	size_t len, i;
	struct debug_file *d = NULL;

	if (note && notelen)
		note[0] = '\0';
	if (!dirs || !*dirs)
		dirs = getenv("SONDE_DEBUG_DIR");
	if (!dirs || !*dirs)
		dirs = DEBUGINFO_DEFAULT_DIR;
	if (stat(path, &sr.self))
		memset(&sr.self, 0, sizeof(sr.self));
	if (!debuginfo_build_id(elf, &id, &len) && len >= 2) {
		for (i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		d = each_dir(&sr, dirs, by_build_id, hex);
	}
	if (!d)
		d = by_debuglink(&sr, dirs);
	if (!d)
		d = by_name(&sr, dirs);
	if (!d && hex[0])
		d = by_debuginfod(&sr, hex);
	if (!d)
		d = mini_debuginfo(&sr);
	if (!d)
		return -ENOENT;
	*out = d;
	return 0;
}
