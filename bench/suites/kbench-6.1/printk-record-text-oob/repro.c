// Reproducer for "KASAN: slab-out-of-bounds Write in record_print_text".
//
// record_print_text() rewrites a log record in place in its text buffer,
// adding a prefix to every line, and finally NUL-terminates the result.
// The buggy version writes that NUL at text[len], where `text` has already
// been advanced to the start of the last line, instead of at
// r->text_buf[len]. For a two-line record whose first line is long, this
// lands past the end of the buffer. syslog(SYSLOG_ACTION_READ_ALL) formats
// every record into a kmalloc'ed CONSOLE_LOG_MAX (1024) buffer.
//
// With prefix length p, first line a and second line 1 byte, the NUL goes
// to offset 3p + 2a + 4. Records with a = 440..520 are written to /dev/kmsg
// in increasing order, so the first write out of bounds lands within a few
// bytes of the buffer's end (whatever p is), in KASAN's redzone. Level <7>
// (debug) keeps them off the console, whose printing path has the same bug.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Each open of /dev/kmsg is rate limited (10 records per 5 s): one open per record. */
static int kmsg(const char *rec, int len)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd < 0) {
		mknod("/tmp/kmsg", S_IFCHR | 0600, makedev(1, 11));
		fd = open("/tmp/kmsg", O_WRONLY);
	}
	if (fd < 0)
		return -1;
	int ret = write(fd, rec, len);
	close(fd);
	return ret;
}

int main(void)
{
	static char buf[1 << 20];
	char rec[1024];

	for (int a = 440; a <= 520; a++) {
		int n = snprintf(rec, sizeof(rec), "<7>");
		memset(rec + n, 'k', a);
		n += a;
		n += snprintf(rec + n, sizeof(rec) - n, "\nx");
		if (kmsg(rec, n) < 0) {
			perror("write /dev/kmsg");
			return 1;
		}
	}
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));
	printf("syslog read all: %d bytes\n", n);
	return 0;
}
