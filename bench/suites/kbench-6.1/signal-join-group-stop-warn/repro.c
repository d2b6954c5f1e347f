// Reproducer for "WARNING in get_signal".
//
// A process is group-stopped (SIGSTOP: SIGNAL_STOP_STOPPED), then
// PTRACE_SEIZEd with PTRACE_O_TRACECLONE and resumed with PTRACE_CONT - a
// tracee may run while its process stays group-stopped. It then creates a
// thread. The new thread is auto-attached and gets JOBCTL_TRAP_STOP, and it
// should also join the group stop: task_join_group_stop() should give it
// the stop signal. The buggy version only copies the stop when the creating
// thread has JOBCTL_STOP_PENDING, which the resumed tracee no longer has,
// so the new thread traps with no stop signal recorded, and
// do_jobctl_trap() (inlined into get_signal()) hits WARN_ON_ONCE(!signr).
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_fn(void *arg)
{
	return arg;
}

int main(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t th;

		kill(getpid(), SIGSTOP);
		pthread_create(&th, NULL, thread_fn, NULL);
		pthread_join(th, NULL);
		_exit(0);
	}
	alarm(30); /* never hang the guest, whatever the kernel does */
	waitpid(pid, &status, WUNTRACED);
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACECLONE) < 0) {
		perror("PTRACE_SEIZE");
		return 1;
	}
	waitpid(pid, &status, 0); /* the seized stopped task re-traps */
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &status, 0); /* PTRACE_EVENT_CLONE */
	pid_t t = waitpid(-1, &status, __WALL); /* the new thread's first stop */
	printf("new thread %d: status 0x%x\n", t, status);
	kill(pid, SIGKILL);
	while (waitpid(-1, &status, __WALL) > 0)
		;
	return 0;
}
