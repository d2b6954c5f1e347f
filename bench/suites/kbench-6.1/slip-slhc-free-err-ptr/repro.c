// Reproducer for "BUG: unable to handle kernel paging request in slhc_free".
//
// slhc_init() returns ERR_PTR(-ENOMEM) when an allocation fails, and SLIP's
// sl_alloc_bufs() then calls slhc_free() on that error pointer in its
// cleanup. The buggy slhc_free() only checks for NULL, so it dereferences
// ERR_PTR(-ENOMEM) (address 0xfffffffffffffff4).
//
// Attaching the SLIP line discipline to a pty runs sl_alloc_bufs(). Its
// allocations are made to fail one at a time with the fault-injection
// framework: failslab normally ignores sleeping (GFP_KERNEL) allocations, so
// that filter is switched off, then /proc/thread-self/fail-nth = N fails the
// N-th injectable allocation of the next system call (the TIOCSETD ioctl). N
// is stepped up from 1 until the failure lands in slhc_init() (earlier ones
// fail the ioctl cleanly).
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

	for (int nth = 1; nth <= 120; nth++) {
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
