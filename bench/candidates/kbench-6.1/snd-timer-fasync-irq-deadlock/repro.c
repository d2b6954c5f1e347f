// Reproducer for "possible deadlock in snd_timer_interrupt" (candidate: it does
// NOT reproduce on 6.1, see the candidates README).
//
// The buggy ALSA timer calls kill_fasync() directly from its callbacks. The
// event callback (snd_timer_user_ccallback) runs under timer->lock: START
// delivers its event from snd_timer_start1() with timer->lock held, so START
// builds timer->lock -> fa_lock -> f_owner.lock. The kernel of the syzbot
// report then read-locked tasklist_lock in send_sigio() to signal a process
// group, and tasklist_lock is read elsewhere with interrupts on (do_wait):
// an irq-safe lock ahead of an irq-unsafe one. (The fix defers kill_fasync()
// to a work item.)
//
// The timer is ALSA's global *system* timer (a timer_list: its callback runs
// in softirq), so the first irq-context acquisition of timer->lock is the one
// in snd_timer_interrupt() itself, the function the kBench title names; the
// hrtimer backend would take it first in snd_hrtimer_callback(). START holds
// timer->lock while it arms the timer, so the dependency exists before the
// first expiry, and lockdep would report when it marks the lock SOFTIRQ-safe.
//
// Why it fails on 6.1: 6.1's send_sigio() walks the process group under
// rcu_read_lock(), not tasklist_lock, and every lock it can reach from
// f_owner.lock (siglock, the scheduler's, the allocator's) is irq-safe, so
// lockdep has nothing to report. /proc/lockdep after this reproducer shows
// timer->lock SOFTIRQ-safe, fa_lock and f_owner.lock used, and no
// dependency f_owner.lock -> tasklist_lock (tasklist_lock has one backward
// dependency in all).
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sound/asound.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct snd_timer_select sel;
	struct snd_timer_params params;
	int tread = 1;
	int fd;

	/* read tasklist_lock with interrupts on once (do_wait), in case nothing has yet */
	if (fork() == 0)
		_exit(0);
	wait(NULL);

	fd = open("/dev/snd/timer", O_RDONLY);
	if (fd < 0) {
		perror("/dev/snd/timer");
		return 1;
	}
	/* timestamped events: only then does START reach the event callback's kill_fasync */
	if (ioctl(fd, SNDRV_TIMER_IOCTL_TREAD, &tread) < 0) {
		perror("SNDRV_TIMER_IOCTL_TREAD");
		return 1;
	}
	memset(&sel, 0, sizeof(sel));
	sel.id.dev_class = SNDRV_TIMER_CLASS_GLOBAL;
	sel.id.dev_sclass = SNDRV_TIMER_SCLASS_NONE;
	sel.id.card = -1;
	sel.id.device = SNDRV_TIMER_GLOBAL_SYSTEM;
	if (ioctl(fd, SNDRV_TIMER_IOCTL_SELECT, &sel) < 0) {
		perror("SNDRV_TIMER_IOCTL_SELECT (system timer)");
		return 1;
	}
	memset(&params, 0, sizeof(params));
	params.flags = SNDRV_TIMER_PSFLG_AUTO; /* keep ticking */
	params.ticks = 2;                      /* jiffies */
	params.queue_size = 128;
	params.filter = (1 << SNDRV_TIMER_EVENT_START) | (1 << SNDRV_TIMER_EVENT_STOP) |
			(1 << SNDRV_TIMER_EVENT_TICK);
	if (ioctl(fd, SNDRV_TIMER_IOCTL_PARAMS, &params) < 0) {
		perror("SNDRV_TIMER_IOCTL_PARAMS");
		return 1;
	}
	signal(SIGIO, SIG_IGN);
	setpgid(0, 0);
	/* SIGIO to a process group: send_sigio() then takes tasklist_lock */
	if (fcntl(fd, F_SETOWN, -getpgrp()) < 0 || fcntl(fd, F_SETFL, O_ASYNC) < 0) {
		perror("F_SETOWN / O_ASYNC");
		return 1;
	}
	if (ioctl(fd, SNDRV_TIMER_IOCTL_START) < 0) {
		perror("SNDRV_TIMER_IOCTL_START");
		return 1;
	}
	usleep(500 * 1000); /* ~60 expiries */
	if (ioctl(fd, SNDRV_TIMER_IOCTL_STOP) < 0)
		perror("SNDRV_TIMER_IOCTL_STOP");
	close(fd);
	printf("no report\n");
	return 0;
}
