// Reproducer for "INFO: task hung in hci_req_sync".
//
// HCIINQUIRY (hci_inquiry()) runs an HCI request through hci_req_sync(),
// which holds the controller's request lock (hdev->req_lock, a mutex) while
// it waits, interruptibly, for the request to finish, with a timeout of
// ir.length * 2 s. The length comes from user space as a byte, so up to
// 510 s; the fix rejects lengths over 60 (-EINVAL). Another HCIINQUIRY on the
// same controller meanwhile sleeps in mutex_lock() (uninterruptibly) in
// hci_req_sync(), and after 20 s (DEFAULT_HUNG_TASK_TIMEOUT) the hung-task
// detector reports it; the mutex frames are skipped, so the title names
// hci_req_sync.
//
// The controller is a virtual one, /dev/vhci, that this program drives:
//  1. a vendor packet (0xff, type 0x00) creates a primary controller; the
//     driver answers with its index;
//  2. a thread answers every HCI command read from /dev/vhci with a Command
//     Complete event: status 0, return parameters zero-filled to the length
//     the kernel's handler needs (a nonzero BD_ADDR and usable buffer sizes
//     where the kernel checks them), so 6.1's init sequence (hci_sync.c)
//     succeeds and HCIDEVUP brings the controller up;
//  3. 6.1 cancels a pending request when the controller does not answer a
//     command within 2 s (hci_cmd_timeout() -> hci_cmd_sync_cancel_sync()),
//     which 5.14, syzbot's kernel, did not. So the thread answers HCI_Inquiry
//     (0x0401) with a Command Status event for opcode 0x0000 (NOP, "ready for
//     commands"): hci_cmd_status_evt() stops the command timer for any event
//     (handle_cmd_cnt_and_timer()), but hci_req_cmd_complete() returns early
//     since the opcode is not the sent command's, so the request stays
//     pending until its 510 s timeout;
//  4. two threads call HCIINQUIRY with length 255, each on its own raw HCI
//     socket; the first waits in __hci_req_sync() holding req_lock, the
//     second blocks on it.
// With the fix both calls return EINVAL at once and the program exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BT_AF 31 /* AF_BLUETOOTH */
#define BT_PROTO_HCI 1
#define IOC_HCIDEVUP _IOW('H', 201, int)
#define IOC_HCIINQUIRY _IOR('H', 240, int)

struct inq_req {
	uint16_t dev_id;
	uint16_t flags;
	uint8_t lap[3];
	uint8_t length;
	uint8_t num_rsp;
};

static int vhci;

// Length of the return parameters (status first) for the commands the 6.1
// init sequence sends to a controller with no features and HCI version 0.
static int ret_len(uint16_t op)
{
	switch (op) {
	case 0x1001: return 9;   // Read Local Version Information
	case 0x1002: return 65;  // Read Local Supported Commands
	case 0x1003: return 9;   // Read Local Supported Features
	case 0x1004: return 11;  // Read Local Extended Features
	case 0x1005: return 8;   // Read Buffer Size
	case 0x1009: return 7;   // Read BD_ADDR
	case 0x0c14: return 249; // Read Local Name
	case 0x0c23: return 4;   // Read Class of Device
	case 0x0c25: return 3;   // Read Voice Setting
	case 0x0c38: return 2;   // Read Number of Supported IAC
	case 0x0c39: return 2;   // Read Current IAC LAP (none)
	default: return 1;       // status only
	}
}

static void *controller(void *arg)
{
	uint8_t in[1100], ev[300];

	(void)arg;
	for (;;) {
		ssize_t n = read(vhci, in, sizeof(in));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		if (in[0] != 0x01 || n < 4) // HCI command packets only
			continue;
		uint16_t op = in[1] | in[2] << 8;

		memset(ev, 0, sizeof(ev));
		ev[0] = 0x04; // HCI event packet
		if (op == 0x0401) {
			// Command Status: status 0, 1 command allowed, opcode NOP
			ev[1] = 0x0f;
			ev[2] = 4;
			ev[3] = 0;
			ev[4] = 1;
			if (write(vhci, ev, 7) < 0)
				perror("write status");
			fprintf(stderr, "inquiry command answered with a NOP status\n");
			continue;
		}
		int r = ret_len(op);

		ev[1] = 0x0e; // Command Complete
		ev[2] = 3 + r;
		ev[3] = 1;
		ev[4] = op & 0xff;
		ev[5] = op >> 8;
		uint8_t *rp = ev + 6; // rp[0] is the status, 0
		if (op == 0x1009) {
			for (int i = 1; i <= 6; i++)
				rp[i] = 0x10 * i;
		} else if (op == 0x1005) {
			rp[1] = 1021 & 0xff; // ACL MTU
			rp[2] = 1021 >> 8;
			rp[3] = 96;          // SCO MTU
			rp[4] = 8;           // ACL packets
			rp[6] = 8;           // SCO packets
		}
		if (write(vhci, ev, 6 + r) < 0)
			perror("write complete");
	}
}

static int hci_index;

static void *inquire(void *arg)
{
	static __thread struct {
		struct inq_req ir;
		uint8_t info[255 * 14];
	} req;
	int s = socket(BT_AF, SOCK_RAW, BT_PROTO_HCI);

	if (s < 0) {
		perror("socket");
		return NULL;
	}
	req.ir.dev_id = hci_index;
	req.ir.lap[0] = 0x33; // GIAC 0x9e8b33
	req.ir.lap[1] = 0x8b;
	req.ir.lap[2] = 0x9e;
	req.ir.length = 255; // 255 * 1.28 s of inquiry; the request waits 510 s
	req.ir.num_rsp = 0;
	fprintf(stderr, "inquirer %ld: HCIINQUIRY length 255\n", (long)arg);
	int ret = ioctl(s, IOC_HCIINQUIRY, &req);
	fprintf(stderr, "inquirer %ld: HCIINQUIRY returned %d (%s)\n", (long)arg,
		ret, ret < 0 ? strerror(errno) : "ok");
	close(s);
	return NULL;
}

int main(void)
{
	uint8_t create[2] = {0xff, 0x00}, resp[4];
	pthread_t ctl, t[2];

	vhci = open("/dev/vhci", O_RDWR);
	if (vhci < 0) {
		perror("open /dev/vhci");
		return 1;
	}
	if (write(vhci, create, sizeof(create)) != sizeof(create)) {
		perror("create controller");
		return 1;
	}
	if (read(vhci, resp, sizeof(resp)) != sizeof(resp) || resp[0] != 0xff) {
		fprintf(stderr, "no vendor response\n");
		return 1;
	}
	hci_index = resp[2] | resp[3] << 8;
	fprintf(stderr, "controller hci%d\n", hci_index);
	pthread_create(&ctl, NULL, controller, NULL);

	int s = socket(BT_AF, SOCK_RAW, BT_PROTO_HCI);

	if (s < 0) {
		perror("socket");
		return 1;
	}
	if (ioctl(s, IOC_HCIDEVUP, hci_index) < 0 && errno != EALREADY) {
		perror("HCIDEVUP");
		return 1;
	}
	fprintf(stderr, "hci%d up\n", hci_index);

	pthread_create(&t[0], NULL, inquire, (void *)0L);
	usleep(500 * 1000); // the first holds req_lock
	pthread_create(&t[1], NULL, inquire, (void *)1L);

	// The blocked one is reported 20-40 s after it blocks; give it 70 s.
	for (int i = 0; i < 2; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 70;
		if (pthread_timedjoin_np(t[i], NULL, &ts)) {
			fprintf(stderr, "inquiries still blocked after 70 s\n");
			return 0;
		}
	}
	fprintf(stderr, "both inquiries returned\n");
	return 0;
}
