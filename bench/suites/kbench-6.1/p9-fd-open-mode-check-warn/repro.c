// Reproducer for "WARNING in __kernel_read".
//
// The 9p "fd" transport reads its replies from the file descriptor given as
// rfdno= and writes its requests to wfdno=. The fixed p9_fd_open() refuses
// an rfd not open for reading (and a wfd not open for writing); the buggy
// one takes any file. Its read work then calls kernel_read() on a file
// without FMODE_READ, and __kernel_read() warns (WARN_ON_ONCE at its top).
//
// The read work is only scheduled when the transport's poll wakes up with
// EPOLLIN, so rfd must be a file that both lacks FMODE_READ and can report
// input: the slave side of a pty opened O_WRONLY (n_tty's poll reports a
// complete input line whatever the file mode; a pipe's write end never
// does). Steps, in a private mount namespace: open a pty, open its slave
// write-only, mount 9p with trans=fd,rfdno=wfdno=<slave>; the mount's
// TVERSION goes out and mount() waits for the answer, while a child process
// types a line into the master. The line wakes the transport's poll, the
// read work runs kernel_read() on the write-only slave: the warning. The
// fixed kernel fails the mount at once with EIO.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MNT "/tmp/kgym-9p"

int main(void)
{
	char opts[128];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("private mount namespace");
		return 1;
	}
	mkdir(MNT, 0755);
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("posix_openpt");
		return 1;
	}
	int slave = open(ptsname(master), O_WRONLY | O_NOCTTY);
	if (slave < 0) {
		perror("open pty slave O_WRONLY");
		return 1;
	}
	pid_t typist = fork();
	if (typist == 0) {
		/* a complete line for the slave's input, again and again, until killed */
		for (int i = 0; i < 40; i++) {
			usleep(500 * 1000);
			if (write(master, "x\n", 2) < 0)
				break;
		}
		_exit(0);
	}
	snprintf(opts, sizeof(opts), "trans=fd,rfdno=%d,wfdno=%d", slave, slave);
	int ret = mount("kgym", MNT, "9p", 0, opts);
	printf("mount 9p with a write-only rfd: %d (%m)\n", ret);
	kill(typist, SIGKILL);
	waitpid(typist, NULL, 0);
	return 0;
}
