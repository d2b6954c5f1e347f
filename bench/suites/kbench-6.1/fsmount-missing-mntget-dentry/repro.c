// Reproducer for "BUG: Dentry still in use [unmount of sysfs sysfs]".
//
// fsmount() puts its new mount in an anonymous namespace and returns an
// O_PATH fd that unmounts it when closed (dissolve_on_fput()). That teardown
// drops a reference for the namespace, so fsmount() must take one; the buggy
// version does not. Closing the fsmount fd then drops the mount's count to
// zero while another file still uses it, and the superblock is killed with
// that file's dentry still referenced: shrink_dcache_for_umount() reports it.
//
// The superblock must be killed, not just released: sysfs in a fresh network
// namespace gets a superblock of its own, and the fs_context fd is closed
// first so that it does not keep the superblock active. The file still in
// use is sysfs's "kernel" directory, opened relative to the fsmount fd.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		perror("unshare");
		return 1;
	}
	int fs = syscall(__NR_fsopen, "sysfs", 0);

	if (fs < 0 || syscall(__NR_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		perror("fsopen/fsconfig sysfs");
		return 1;
	}
	int mnt = syscall(__NR_fsmount, fs, 0, 0);

	if (mnt < 0) {
		perror("fsmount");
		return 1;
	}
	close(fs);
	int dir = openat(mnt, "kernel", O_RDONLY | O_DIRECTORY);

	if (dir < 0) {
		perror("openat kernel");
		return 1;
	}
	close(mnt); /* the mount goes away under the open directory (buggy kernel) */
	usleep(100 * 1000);
	close(dir);
	printf("no report\n");
	return 0;
}
