// Reproducer for "memory leak in watch_queue_set_size".
//
// A notification pipe (pipe2 with O_NOTIFICATION_PIPE) gets its note pages
// from the IOC_WATCH_QUEUE_SET_SIZE ioctl: watch_queue_set_size() kcalloc()s
// an array of page pointers (wqueue->notes) and fills it. When the pipe is
// closed, __put_watch_queue() frees every page but, in the buggy version,
// not the array itself, so each open/size/close cycle leaks one small
// object that kmemleak reports with watch_queue_set_size as its allocator.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define O_NOTIFICATION_PIPE O_EXCL
#define IOC_WATCH_QUEUE_SET_SIZE _IO('W', 0x60)

int main(void)
{
	for (int i = 0; i < 8; i++) {
		int fds[2];

		if (pipe2(fds, O_NOTIFICATION_PIPE) < 0) {
			perror("pipe2(O_NOTIFICATION_PIPE)");
			return 1;
		}
		if (ioctl(fds[0], IOC_WATCH_QUEUE_SET_SIZE, 64) < 0)
			perror("IOC_WATCH_QUEUE_SET_SIZE");
		close(fds[0]);
		close(fds[1]);
	}
	return 0;
}
