/* SPDX-License-Identifier: MIT */
/*
 * Separate debug info of a stripped ELF file, found as gdb and BCC find it
 * (gdb manual, "Debugging Information in Separate Files"):
 *  1. by build-id: DIR/.build-id/ab/cdef....debug for each debug dir;
 *  2. by .gnu_debuglink NAME (its CRC32 checked): beside the file,
 *     in .debug/ beside it, and DIR/<the file's directory>/NAME;
 *  3. by name: DIR/NAME.debug, then DIR/NAME, for each debug dir (a
 *     debug file kept with `objcopy --only-keep-debug` and no debuglink);
 *  4. from a debuginfod server, by build-id (debuginfod.h), when
 *     DEBUGINFOD_URLS is set;
 *  5. MiniDebugInfo: an xz-compressed ELF holding a .symtab in the
 *     file's own .gnu_debugdata section (Fedora's "minidebuginfo").
 * A candidate whose build-id differs from the file's is refused too.
 * Only symbols are taken from it: segments and offsets stay the file's.
 */
#ifndef SONDE_DEBUGINFO_H
#define SONDE_DEBUGINFO_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

/* The debug dirs when none is given: $SONDE_DEBUG_DIR, else this. */
#define DEBUGINFO_DEFAULT_DIR "/usr/lib/debug"

struct debug_file {
	int fd;	   /* -1 for MiniDebugInfo (in memory) */
	Elf *elf;
	void *mem; /* the decompressed MiniDebugInfo image */
	char *path; /* where it was found; "PATH[.gnu_debugdata]" for MDI */
};

/*
 * Find and open the debug file of elf (opened from path). dirs is a
 * colon-separated list of debug dirs (NULL: the default). note, when
 * given, gets one sentence about what was refused on the way (a CRC or
 * build-id mismatch), or "". Returns 0 with *out set, -ENOENT when
 * nothing was found, or -errno.
 */
int debuginfo_open(Elf *elf, const char *path, const char *dirs,
		   struct debug_file **out, char *note, size_t notelen);
void debuginfo_close(struct debug_file *d);

/* The NT_GNU_BUILD_ID note's bytes (borrowed from elf). 0 or -ENOENT. */
int debuginfo_build_id(Elf *elf, const uint8_t **id, size_t *len);
/* .gnu_debuglink: the file name and its CRC. 0 or -ENOENT. */
int debuginfo_debuglink(Elf *elf, const char **name, uint32_t *crc);
/* CRC-32 as binutils' gnu_debuglink_crc32() computes it (the IEEE 802.3
 * polynomial, reflected; start with crc = 0). */
uint32_t debuginfo_crc32(uint32_t crc, const void *buf, size_t len);
/* The CRC of a whole file. 0 or -errno. */
int debuginfo_file_crc32(int fd, uint32_t *crc);
/* Decompress an xz stream (MiniDebugInfo). 0 with a malloc'd *out, or
 * -ENOTSUP (built without liblzma), -EINVAL (corrupt), -ENOMEM. */
int debuginfo_xz_decode(const void *in, size_t inlen, void **out,
			size_t *outlen);

#endif
