// Reproducer for "possible deadlock in f_getown".
//
// A file's f_owner.lock is read by send_sigio() under fasync's fa_lock, and
// kill_fasync() is called under locks that interrupts take: evdev queues an
// event under its client's buffer_lock, inside the input device's
// event_lock, and sends SIGIO for every SYN_REPORT. The fix makes
// f_getown() (and f_getown_ex(), f_getowner_uids()) read f_owner.lock with
// interrupts off; the buggy f_getown() takes it with interrupts on, which is
// an irq-unsafe use of a lock that an irq-safe lock leads to. lockdep
// reports that as "possible irq lock inversion dependency detected" at the
// f_getown() acquisition.
//
// The input locks have to be irq-safe. In the guest they already are: the
// PS/2 mouse's interrupt handler (i8042, psmouse_process_byte()) reports a
// packet at boot, under event_lock in hard interrupt; every validation run's
// report names that. This program does not rely on it and makes them
// softirq-safe itself as well: a uinput keyboard with autorepeat (EV_REP; the
// input core repeats a held key from a timer, in softirq). In order:
//  1. open the device's evdev node with O_ASYNC and F_SETOWN: a key press
//     written to uinput runs input_event() -> evdev -> kill_fasync() ->
//     send_sigio() in process context, so lockdep records event_lock ->
//     buffer_lock -> fa_lock -> f_owner.lock (fa_lock and f_owner.lock read,
//     not recursively: not in interrupt context);
//  2. hold the key for 500 ms: the repeat timer (250 ms, then every 33 ms)
//     takes event_lock and buffer_lock in softirq: both become softirq-safe;
//  3. ioctl(FIOGETOWN) on a socket: sock_ioctl() calls f_getown() (out of
//     line, as fcntl(F_GETOWN) does: objdump of this -Os build), and the first
//     read of the f_owner.lock class with interrupts enabled closes the
//     inversion; the report is named after f_getown().
// SIGIO is caught, so the signals evdev sends do no harm.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NAME "kgym-repro-kbd"

static volatile int sigio;

static void on_sigio(int sig)
{
	(void)sig;
	sigio++;
}

static void emit(int fd, int type, int code, int value)
{
	struct input_event ev = {.type = type, .code = code, .value = value};

	if (write(fd, &ev, sizeof(ev)) != sizeof(ev))
		perror("write(uinput)");
}

/* The evdev node of our uinput device (devtmpfs creates it asynchronously). */
static int open_evdev(void)
{
	char path[64], name[64];

	for (int tries = 0; tries < 100; tries++) {
		for (int i = 0; i < 32; i++) {
			int fd;

			snprintf(path, sizeof(path), "/dev/input/event%d", i);
			fd = open(path, O_RDONLY | O_NONBLOCK);
			if (fd < 0)
				continue;
			memset(name, 0, sizeof(name));
			if (ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name) >= 0 &&
			    !strcmp(name, NAME))
				return fd;
			close(fd);
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "no evdev node for %s\n", NAME);
	exit(1);
}

int main(void)
{
	struct uinput_setup setup = {0};
	int ui, ev, sk, owner = 0;

	signal(SIGIO, on_sigio);
	ui = open("/dev/uinput", O_WRONLY | O_NONBLOCK);
	if (ui < 0) {
		perror("open(/dev/uinput)");
		return 1;
	}
	ioctl(ui, UI_SET_EVBIT, EV_KEY);
	ioctl(ui, UI_SET_EVBIT, EV_REP); /* software autorepeat: the input core's timer */
	ioctl(ui, UI_SET_KEYBIT, KEY_A);
	setup.id.bustype = BUS_VIRTUAL;
	setup.id.vendor = 0x1234;
	setup.id.product = 0x5678;
	strcpy(setup.name, NAME);
	if (ioctl(ui, UI_DEV_SETUP, &setup) < 0 || ioctl(ui, UI_DEV_CREATE) < 0) {
		perror("uinput setup");
		return 1;
	}

	/* 1. SIGIO from evdev for every event packet */
	ev = open_evdev();
	if (fcntl(ev, F_SETOWN, getpid()) < 0 ||
	    fcntl(ev, F_SETFL, O_RDONLY | O_NONBLOCK | O_ASYNC) < 0) {
		perror("fcntl(evdev)");
		return 1;
	}
	emit(ui, EV_KEY, KEY_A, 1);
	emit(ui, EV_SYN, SYN_REPORT, 0);

	/* 2. held key: the autorepeat timer runs evdev in softirq */
	usleep(500 * 1000);
	emit(ui, EV_KEY, KEY_A, 0);
	emit(ui, EV_SYN, SYN_REPORT, 0);
	usleep(100 * 1000);

	/* 3. f_getown() with interrupts on */
	sk = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sk < 0 || ioctl(sk, FIOGETOWN, &owner) < 0)
		perror("FIOGETOWN");
	printf("SIGIO received %d times\n", sigio);

	sleep(1);
	ioctl(ui, UI_DEV_DESTROY);
	return 0;
}
