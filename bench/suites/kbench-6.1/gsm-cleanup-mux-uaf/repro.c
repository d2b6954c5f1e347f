// Reproducer for "KASAN: use-after-free Read in gsm_cleanup_mux".
//
// The buggy gsm_cleanup_mux() reads gsm->dlci[0] before it takes gsm->mutex.
// Two GSMIOC_SETCONF calls that both need a restart run it at once:
//  - thread A takes the mutex, starts closing DLCI 0 (DISC frames nobody
//    answers: it gives up after n2 retries of t1) and sleeps on the mutex
//    meanwhile; then it frees every DLCI, DLCI 0 included, and unlocks;
//  - thread B, started while A sleeps, reads the soon-freed DLCI 0 pointer,
//    blocks on the mutex, and once A lets go reads dlci->state from freed
//    memory.
// A's close takes (n2 + 1) * t1 = 4 * 100 ms, so B has time to get in; this
// needs no second CPU. The mux runs on a pty nobody reads (the GSM frames
// just sit in its buffer).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/gsmmux.h>
#include <linux/tty.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int slave;

static void setconf(unsigned int t1)
{
	struct gsm_config c;

	if (ioctl(slave, GSMIOC_GETCONF, &c) < 0) {
		perror("GSMIOC_GETCONF");
		exit(1);
	}
	c.initiator = 1;
	c.k = 0; /* windowing is refused (the mux's default k is 2) */
	c.n2 = 3;
	c.t1 = t1; /* a new t1 means a restart: gsm_cleanup_mux(gsm, true) */
	if (ioctl(slave, GSMIOC_SETCONF, &c) < 0)
		perror("GSMIOC_SETCONF");
}

static void *restart(void *arg)
{
	setconf((unsigned int)(long)arg);
	return NULL;
}

int main(void)
{
	int ldisc = N_GSM0710;
	pthread_t a, b;
	int master = posix_openpt(O_RDWR | O_NOCTTY);

	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("posix_openpt");
		return 1;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || ioctl(slave, TIOCSETD, &ldisc) < 0) {
		perror("TIOCSETD N_GSM0710");
		return 1;
	}
	setconf(10); /* activate the mux: DLCI 0 starts opening */
	for (int round = 0; round < 5; round++) {
		pthread_create(&a, NULL, restart, (void *)(long)(20 + 2 * round));
		usleep(100 * 1000); /* A is now waiting for DLCI 0 to close */
		pthread_create(&b, NULL, restart, (void *)(long)(21 + 2 * round));
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		printf("round %d: no crash\n", round);
	}
	return 0;
}
