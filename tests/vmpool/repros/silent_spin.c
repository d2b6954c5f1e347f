/* Hangs the guest without a word: turns the console off, lifts the RT throttle and
 * pins a SCHED_FIFO busy loop to every CPU, so nothing else (SSH included) runs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = open("/proc/sys/kernel/sched_rt_runtime_us", O_WRONLY);

	if (fd >= 0) {
		write(fd, "-1", 2);
		close(fd);
	}
	klogctl(6 /* SYSLOG_ACTION_CONSOLE_OFF */, NULL, 0);
	for (long cpu = 0; cpu < cpus; cpu++) {
		if (fork() == 0) {
			struct sched_param param = { .sched_priority = 99 };
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			sched_setscheduler(0, SCHED_FIFO, &param);
			for (;;)
				;
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
