// Reproducer for "KASAN: null-ptr-deref Read in __free_pages".
//
// watch_queue_set_size() allocates nr_pages pages one by one into a zeroed
// array. When one allocation fails, the buggy error path frees all nr_pages
// entries instead of only the ones it got, so it calls __free_page(NULL).
//
// The page allocation is made to fail with the fault-injection framework:
// fail_page_alloc normally ignores order-0 and sleeping (GFP_KERNEL)
// allocations, so both filters are switched off, then
// /proc/thread-self/fail-nth = N fails the N-th injectable allocation of
// the next system call. N is stepped up from 1 on fresh notification pipes
// until the ioctl's own page allocation is the one that fails (an earlier
// failure may hit a slab page, which the slab allocator absorbs, or the
// ring allocation, which fails the ioctl cleanly).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define O_NOTIFICATION_PIPE O_EXCL
#define IOC_WATCH_QUEUE_SET_SIZE _IO('W', 0x60)

static void put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	put("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	put("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	put("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	put("/sys/kernel/debug/failslab/verbose", "0");

	for (int nth = 1; nth <= 30; nth++) {
		int fds[2];
		char buf[16];

		if (pipe2(fds, O_NOTIFICATION_PIPE) < 0) {
			perror("pipe2(O_NOTIFICATION_PIPE)");
			return 1;
		}
		int fd = open("/proc/thread-self/fail-nth", O_WRONLY);
		if (fd < 0) {
			perror("fail-nth");
			return 1;
		}
		snprintf(buf, sizeof(buf), "%d", nth);
		write(fd, buf, strlen(buf));
		/* 64 notes: 2 pages. */
		int ret = ioctl(fds[0], IOC_WATCH_QUEUE_SET_SIZE, 64);
		int err = errno;
		write(fd, "0", 1);
		close(fd);
		close(fds[0]);
		close(fds[1]);
		printf("fail-nth %d: ioctl %d (%s)\n", nth, ret, ret ? strerror(err) : "ok");
	}
	return 0;
}
