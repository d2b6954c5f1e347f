// Reproducer for "memory leak in keyctl_watch_key".
//
// KEYCTL_WATCH_KEY allocates a struct watch (in keyctl_watch_key()) and
// puts it on the key's watch list and on the notification pipe's queue.
// Closing the pipe clears the queue: each watch is unlinked and its last
// reference dropped, and free_watch() runs after an RCU grace period. The
// buggy free_watch() drops the watch's queue and cred references but never
// frees the watch itself, so every watch leaks; kmemleak reports them with
// keyctl_watch_key as their allocator.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define O_NOTIFICATION_PIPE O_EXCL
#define IOC_WATCH_QUEUE_SET_SIZE _IO('W', 0x60)
#define KEYCTL_WATCH_KEY 32
#define KEY_SPEC_PROCESS_KEYRING -2

int main(void)
{
	long key = syscall(__NR_add_key, "user", "kgym-leak", "x", 1, KEY_SPEC_PROCESS_KEYRING);

	if (key < 0) {
		perror("add_key");
		return 1;
	}
	for (int i = 0; i < 8; i++) {
		int fds[2];

		if (pipe2(fds, O_NOTIFICATION_PIPE) < 0) {
			perror("pipe2(O_NOTIFICATION_PIPE)");
			return 1;
		}
		if (ioctl(fds[0], IOC_WATCH_QUEUE_SET_SIZE, 1) < 0)
			perror("IOC_WATCH_QUEUE_SET_SIZE");
		if (syscall(__NR_keyctl, KEYCTL_WATCH_KEY, key, fds[0], 1) < 0)
			perror("KEYCTL_WATCH_KEY");
		close(fds[0]);
		close(fds[1]);
	}
	usleep(100 * 1000); /* RCU: free_watch() runs */
	printf("watches dropped\n");
	return 0;
}
