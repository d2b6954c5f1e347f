// Reproducer for "WARNING in tcp_enter_loss".
//
// Without SACK, TCP counts duplicate ACKs in tp->sacked_out (Reno's
// emulation of SACK). TCP_REPAIR_OPTIONS can switch SACK on; the buggy
// kernel allows it on a connection that has already sent data, so the
// dupack count stays in sacked_out while the socket now takes it for
// SACKed segments. At the retransmission timeout, tcp_timeout_mark_lost()
// (inlined into tcp_enter_loss()) no longer resets Reno's count, marks
// every segment in flight lost, and tcp_verify_left_out() finds
// sacked_out + lost_out > packets_out: the WARN_ON, in tcp_enter_loss. The
// fix refuses TCP_REPAIR_OPTIONS once bytes_sent is not 0.
//
// A duplicate ACK needs a hole in what the peer received. Both ends of one
// loopback connection are made in repair mode (no handshake, sequence
// numbers and windows set by hand, no TCP options: no SACK). Segment 1 is
// written while A is in repair mode, so it counts as sent (in flight, the
// retransmission timer armed at the initial 1 s) but never goes out. Segment
// 2 goes out for real; B receives it out of order and answers at once with
// a duplicate ACK for segment 1: A's sacked_out = 1, packets_out = 2. Then A
// goes back into repair mode, turns SACK on with TCP_REPAIR_OPTIONS and
// leaves repair mode without a window probe. About 1 s later the timer fires
// in softirq: both segments are marked lost (RACK: nothing was sent recently),
// 1 + 2 > 2. Deterministic; the guest's panic_on_warn ends the run there.
// Everything runs in a private network namespace on its own lo.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCPOPT_SACK_PERM 4
#define SEQ_A 1000u
#define SEQ_B 5000u

static int opt(int fd, int name, const void *val, socklen_t len, const char *what)
{
	if (setsockopt(fd, IPPROTO_TCP, name, val, len) < 0) {
		perror(what);
		return -1;
	}
	return 0;
}

static int intopt(int fd, int name, int val, const char *what)
{
	return opt(fd, name, &val, sizeof(val), what);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(fd);
	return 0;
}

/* One end of the connection, in repair mode, established with the other. */
static int repaired(unsigned short port, unsigned short peer, unsigned int snd_seq,
		    unsigned int rcv_seq)
{
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(peer)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	me.sin_addr.s_addr = to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || intopt(fd, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on"))
		return -1;
	if (intopt(fd, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE send") ||
	    intopt(fd, TCP_QUEUE_SEQ, snd_seq, "TCP_QUEUE_SEQ send") ||
	    intopt(fd, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE recv") ||
	    intopt(fd, TCP_QUEUE_SEQ, rcv_seq, "TCP_QUEUE_SEQ recv"))
		return -1;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("bind");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("connect (repair)");
		return -1;
	}
	/* The peer's data starts at rcv_seq: no window update from its ACKs. */
	struct tcp_repair_window w = {
		.snd_wl1 = rcv_seq, .snd_wnd = 65535, .max_window = 65535,
		.rcv_wnd = 65535, .rcv_wup = rcv_seq,
	};
	if (opt(fd, TCP_REPAIR_WINDOW, &w, sizeof(w), "TCP_REPAIR_WINDOW") ||
	    intopt(fd, TCP_NODELAY, 1, "TCP_NODELAY"))
		return -1;
	return fd;
}

int main(void)
{
	char seg[100];

	memset(seg, 'x', sizeof(seg));
	if (unshare(CLONE_NEWNET) < 0)
		perror("unshare(CLONE_NEWNET)");
	if (lo_up() < 0) {
		perror("lo up");
		return 1;
	}
	int a = repaired(40000, 40001, SEQ_A, SEQ_B);
	int b = repaired(40001, 40000, SEQ_B, SEQ_A);
	if (a < 0 || b < 0)
		return 1;

	/* Segment 1: "sent" in repair mode, never on the wire. */
	if (intopt(a, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE send") ||
	    write(a, seg, sizeof(seg)) != sizeof(seg)) {
		perror("write segment 1 (repair)");
		return 1;
	}
	if (intopt(a, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, "TCP_REPAIR off (a)") ||
	    intopt(b, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, "TCP_REPAIR off (b)"))
		return 1;
	/* Segment 2: on the wire; B has a hole and sends a duplicate ACK. */
	if (write(a, seg, sizeof(seg)) != sizeof(seg)) {
		perror("write segment 2");
		return 1;
	}
	usleep(100 * 1000);

	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
		printf("before: unacked %u sacked %u lost %u ca_state %u options 0x%x\n",
		       ti.tcpi_unacked, ti.tcpi_sacked, ti.tcpi_lost, ti.tcpi_ca_state,
		       ti.tcpi_options);

	struct tcp_repair_opt sack = {.opt_code = TCPOPT_SACK_PERM, .opt_val = 0};
	if (intopt(a, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on again"))
		return 1;
	int r = setsockopt(a, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &sack, sizeof(sack));
	printf("TCP_REPAIR_OPTIONS(SACK_PERM) after data: %s\n", r ? strerror(errno) : "ok");
	if (intopt(a, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP, "TCP_REPAIR off again"))
		return 1;

	/* The retransmission timeout (1 s: no RTT sample) does the rest. */
	sleep(4);
	len = sizeof(ti);
	if (getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
		printf("after: unacked %u sacked %u lost %u retransmits %u\n", ti.tcpi_unacked,
		       ti.tcpi_sacked, ti.tcpi_lost, ti.tcpi_retransmits);
	close(a);
	close(b);
	return 0;
}
