// Reproducer for "KASAN: slab-out-of-bounds Write in dbgfs_rm_context_write".
//
// DAMON's debugfs keeps one directory per context in dbgfs_dirs[]
// (dbgfs_nr_ctxs entries). Writing a name to rm_contexts allocates arrays
// for dbgfs_nr_ctxs - 1 entries and copies every context whose directory is
// not the named one. The buggy version does not check that the name is a
// directory: naming a plain file of the damon directory ("attrs") matches
// no context, so all dbgfs_nr_ctxs entries are copied into the array sized
// for one less - a write just past a kmalloc'ed object.
//
// First mk_contexts adds a second context so the array is a real (8-byte)
// slab object rather than ZERO_SIZE_PTR.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DAMON "/sys/kernel/debug/damon/"

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = -1;

	if (fd >= 0) {
		ret = write(fd, val, strlen(val));
		close(fd);
	}
	printf("%s <- %s: %s\n", path, val, ret < 0 ? strerror(errno) : "ok");
	return ret;
}

int main(void)
{
	put(DAMON "mk_contexts", "kgym");
	put(DAMON "rm_contexts", "attrs");
	put(DAMON "rm_contexts", "kgym"); /* leave the state as found */
	return 0;
}
