// Reproducer for "INFO: rcu detected stall in sys_setxattr".
//
// mount_setattr(MOUNT_ATTR_RDONLY) sets MNT_WRITE_HOLD on each mount before
// it counts the mount's writers; with a writer active it fails with EBUSY
// and must clear the flag again. The buggy cleanup loop stops *before* the
// mount that failed, so when the very first mount fails nothing is undone:
// the mount keeps MNT_WRITE_HOLD for good. The next mnt_want_write() on it
// (here from setxattr()) spins with preemption off, waiting for a flag that
// never clears, and RCU reports the stalled CPU.
//
// The guest needs a second CPU: on one CPU the spinner also starves the RCU
// grace-period kthread, and the report is a kthread-starvation one. The
// tmpfs is mounted in a private mount namespace, so the guest's own mounts
// stay writable.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

int main(void)
{
	const char *dir = "/tmp/kgym-mnt";
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("private mount namespace");
		return 1;
	}
	mkdir(dir, 0755);
	if (mount("none", dir, "tmpfs", 0, NULL) < 0) {
		perror("mount tmpfs");
		return 1;
	}
	/* An open-for-write file is an active writer of the mount. */
	int fd = open("/tmp/kgym-mnt/file", O_CREAT | O_RDWR, 0644);

	if (fd < 0) {
		perror("open");
		return 1;
	}
	long ret = syscall(__NR_mount_setattr, AT_FDCWD, dir, 0, &attr, sizeof(attr));

	printf("mount_setattr: %ld (EBUSY expected)\n", ret);
	fflush(stdout);
	/* The mount is still held for writers: this spins (buggy kernel). */
	setxattr("/tmp/kgym-mnt/file", "trusted.kgym", "1", 1, 0);
	printf("setxattr returned: no stall\n");
	return 0;
}
