// Reproducer for "KASAN: use-after-free Read in slip_open".
//
// slip_open() takes a free slot of slip_devs[] and allocates the channel's
// net_device into it (sl_alloc()). When a later step fails (the frame
// buffers in sl_alloc_bufs(), or register_netdevice()), the error path frees
// the net_device; the buggy one leaves slip_devs[] pointing at it. The next
// slip_open() first collects hung-up channels (sl_sync(), inlined): it walks
// slip_devs[] and reads the channel of that freed net_device.
//
// The failure is made with the fault-injection framework: failslab and
// fail_page_alloc normally ignore sleeping (GFP_KERNEL) allocations, so that
// filter is switched off, then /proc/thread-self/fail-nth = N fails the N-th
// injectable allocation of the next system call (TIOCSETD N_SLIP on a fresh
// pty). N is stepped up from 1: failures inside alloc_netdev() fail the ioctl
// before a slot is taken; the first one after it leaves the stale slot, and
// the next attachment reads it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
	put("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	put("/sys/kernel/debug/failslab/verbose", "0");
	put("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	put("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	put("/sys/kernel/debug/fail_page_alloc/verbose", "0");

	for (int nth = 1; nth <= 150; nth++) {
		int ldisc = N_SLIP, tty = N_TTY;
		int master = posix_openpt(O_RDWR | O_NOCTTY);
		char buf[16];

		if (master < 0 || grantpt(master) || unlockpt(master)) {
			perror("posix_openpt");
			return 1;
		}
		int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
		int fd = open("/proc/thread-self/fail-nth", O_WRONLY);

		if (slave < 0 || fd < 0) {
			perror("pty slave / fail-nth");
			return 1;
		}
		snprintf(buf, sizeof(buf), "%d", nth);
		write(fd, buf, strlen(buf));
		int ret = ioctl(slave, TIOCSETD, &ldisc);
		int err = errno;

		write(fd, "0", 1);
		close(fd);
		printf("fail-nth %d: TIOCSETD N_SLIP %d (%s)\n", nth, ret, ret ? strerror(err) : "ok");
		if (ret == 0)
			ioctl(slave, TIOCSETD, &tty); /* a tolerated failure, or none: detach */
		close(slave);
		close(master);
	}
	return 0;
}
