// Reproducer for "possible deadlock in snd_timer_interrupt".
//
// The buggy ALSA timer calls kill_fasync() directly from its callbacks. One
// of them, the event callback, runs under timer->lock, which the timer
// interrupt (snd_timer_interrupt(), hard-irq context for the hrtimer
// backend) also takes: so timer->lock is hard-irq-safe. kill_fasync() to a
// process group takes tasklist_lock for reading, and tasklist_lock is taken
// elsewhere with interrupts on: a hard-irq-safe lock now depends on a
// hard-irq-unsafe one, and lockdep says so. (The fix defers kill_fasync() to
// a work item.)
//
// Steps: a timestamped ("tread") timer instance on the global hrtimer, START,
// STOP and TICK events in its filter, SIGIO to our process group (ignored), then start: the
// START event is delivered under timer->lock, and the ticks that follow run
// snd_timer_interrupt() in hard-irq context. Deterministic: lockdep needs to
// see each usage once.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sound/asound.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	struct snd_timer_select sel;
	struct snd_timer_params params;
	int tread = 1;
	int fd = open("/dev/snd/timer", O_RDONLY);

	if (fd < 0) {
		perror("/dev/snd/timer");
		return 1;
	}
	if (ioctl(fd, SNDRV_TIMER_IOCTL_TREAD, &tread) < 0) {
		perror("SNDRV_TIMER_IOCTL_TREAD");
		return 1;
	}
	memset(&sel, 0, sizeof(sel));
	sel.id.dev_class = SNDRV_TIMER_CLASS_GLOBAL;
	sel.id.dev_sclass = SNDRV_TIMER_SCLASS_NONE;
	sel.id.card = -1;
	sel.id.device = SNDRV_TIMER_GLOBAL_HRTIMER;
	if (ioctl(fd, SNDRV_TIMER_IOCTL_SELECT, &sel) < 0) {
		perror("SNDRV_TIMER_IOCTL_SELECT (hrtimer)");
		return 1;
	}
	memset(&params, 0, sizeof(params));
	params.ticks = 10000000; /* 10 ms at the hrtimer's 1 ns resolution */
	params.queue_size = 128;
	/* the events to queue (and signal): only known ones are accepted */
	params.filter = (1 << SNDRV_TIMER_EVENT_START) | (1 << SNDRV_TIMER_EVENT_STOP) |
			(1 << SNDRV_TIMER_EVENT_TICK);
	if (ioctl(fd, SNDRV_TIMER_IOCTL_PARAMS, &params) < 0) {
		perror("SNDRV_TIMER_IOCTL_PARAMS");
		return 1;
	}
	signal(SIGIO, SIG_IGN);
	setpgid(0, 0);
	if (fcntl(fd, F_SETOWN, -getpgrp()) < 0 || fcntl(fd, F_SETFL, O_ASYNC) < 0) {
		perror("F_SETOWN / O_ASYNC");
		return 1;
	}
	for (int round = 0; round < 5; round++) {
		if (ioctl(fd, SNDRV_TIMER_IOCTL_START) < 0)
			perror("SNDRV_TIMER_IOCTL_START");
		usleep(200 * 1000);
		if (ioctl(fd, SNDRV_TIMER_IOCTL_STOP) < 0)
			perror("SNDRV_TIMER_IOCTL_STOP");
		printf("round %d: no report\n", round);
	}
	return 0;
}
