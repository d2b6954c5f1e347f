// Reproducer for "possible deadlock in j1939_sk_errqueue".
//
// When a receive session with no socket of its own (session->sk == NULL)
// times out, j1939_tp_rxtimer() cancels it. The buggy version calls
// j1939_sk_errqueue(RX_ABORT) from __j1939_session_cancel(), that is under
// priv->active_session_list_lock, and j1939_sk_errqueue() takes
// priv->j1939_socks_lock to spread the notice to every matching socket.
// syzbot's report closes a cycle of three locks:
//   sk_session_queue_lock -> active_session_list_lock
//       j1939_sk_queue_activate_next_locked() -> j1939_session_activate(),
//       when a socket's queued second session is started
//   j1939_socks_lock -> sk_session_queue_lock
//       j1939_sk_netdev_event_netdown() -> j1939_sk_queue_drop_all()
//   active_session_list_lock -> j1939_socks_lock   (the bug)
//       j1939_tp_rxtimer() -> __j1939_session_cancel() -> j1939_sk_errqueue()
// The fix calls j1939_sk_errqueue() after the list lock is dropped.
//
// This program makes the three dependencies in that order, so that the
// errqueue acquisition is the one that closes the cycle (the report names
// j1939_sk_errqueue):
//  1. a J1939 socket bound to vcan0 sends two broadcast (BAM) transfers:
//     the second waits on the socket's session queue and is activated
//     under sk_session_queue_lock when the first is done;
//  2. vcan0 goes down and up again: the netdown handler walks the sockets
//     under j1939_socks_lock and empties each session queue;
//  3. a CAN_RAW socket sends a foreign BAM announcement (TP.CM_BAM from
//     address 0x20) and no data: the stack opens a receive session with no
//     socket and its rx timer (750 ms) cancels it.
// Everything runs in a private network namespace (vcan0 is created there
// with rtnetlink). Afterwards the j1939 lock classes of /proc/lockdep and
// their dependencies are written to the console, so a run without a report
// shows which dependencies lockdep recorded.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/can.h>
#include <linux/can/j1939.h>
#include <linux/can/raw.h>
#include <linux/if_link.h>
#include <linux/net_tstamp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_CAN
#define AF_CAN 29
#endif
#define LOCAL_SA 0x10
#define FOREIGN_SA 0x20
#define PGN 0x12300 /* PDU1, destination byte 0 */

/* --- a minimal rtnetlink client (the guest has no iproute2) --- */
struct msg {
	struct nlmsghdr *nh;
	char buf[1024] __attribute__((aligned(4)));
};

static struct ifinfomsg *msg_init(struct msg *m, int type, int flags)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->nh = (struct nlmsghdr *)m->buf;
	m->nh->nlmsg_type = type;
	m->nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	return NLMSG_DATA(m->nh);
}

static struct nlattr *put(struct msg *m, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + NLMSG_ALIGN(m->nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh->nlmsg_len = NLMSG_ALIGN(m->nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void end(struct msg *m, struct nlattr *a)
{
	a->nla_len = m->buf + m->nh->nlmsg_len - (char *)a;
}

/* Send one request, return 0 or -errno from the kernel's ack. */
static int talk(struct msg *m, const char *what)
{
	static int fd = -1;
	char ack[1024];
	struct nlmsghdr *h = (struct nlmsghdr *)ack;

	if (fd < 0)
		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (send(fd, m->buf, m->nh->nlmsg_len, 0) < 0) {
		perror(what);
		return -errno;
	}
	if (recv(fd, ack, sizeof(ack), 0) < 0) {
		perror(what);
		return -errno;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

		if (err)
			fprintf(stderr, "%s: %s\n", what, strerror(-err));
		return err;
	}
	return 0;
}

static int vcan_create(void)
{
	struct msg m;
	struct nlattr *info;

	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put(&m, IFLA_IFNAME, "vcan0", sizeof("vcan0"));
	info = put(&m, IFLA_LINKINFO, NULL, 0);
	put(&m, IFLA_INFO_KIND, "vcan", strlen("vcan"));
	end(&m, info);
	return talk(&m, "create vcan0");
}

static int link_set_up(int ifindex, int up)
{
	struct msg m;
	struct ifinfomsg *ifi = msg_init(&m, RTM_NEWLINK, 0);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	return talk(&m, up ? "vcan0 up" : "vcan0 down");
}

/* --- J1939 and raw CAN --- */
static int j1939_socket(int ifindex)
{
	struct sockaddr_can sa = {.can_family = AF_CAN, .can_ifindex = ifindex};
	int one = 1;
	int ts = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
		 SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK |
		 SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_OPT_CMSG |
		 SOF_TIMESTAMPING_OPT_STATS;
	int fd = socket(AF_CAN, SOCK_DGRAM, CAN_J1939);

	if (fd < 0) {
		perror("socket(CAN_J1939)");
		exit(1);
	}
	/* the error queue: j1939_sk_errqueue() queues session notices here */
	setsockopt(fd, SOL_CAN_J1939, SO_J1939_ERRQUEUE, &one, sizeof(one));
	setsockopt(fd, SOL_CAN_J1939, SO_J1939_PROMISC, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts));
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	sa.can_addr.j1939.name = J1939_NO_NAME;
	sa.can_addr.j1939.pgn = J1939_NO_PGN;
	sa.can_addr.j1939.addr = LOCAL_SA;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind(CAN_J1939)");
		exit(1);
	}
	return fd;
}

static void j1939_broadcast(int fd, int ifindex, size_t len)
{
	struct sockaddr_can da = {.can_family = AF_CAN, .can_ifindex = ifindex};
	char data[64];

	memset(data, 0x5a, sizeof(data));
	da.can_addr.j1939.name = J1939_NO_NAME;
	da.can_addr.j1939.pgn = PGN;
	da.can_addr.j1939.addr = J1939_NO_ADDR;
	if (sendto(fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&da, sizeof(da)) < 0)
		perror("sendto(J1939 broadcast)");
}

/* TP.CM_BAM from FOREIGN_SA: a 20-byte message in 3 packets, PGN 0x12300 */
static void raw_bam_announce(int ifindex)
{
	struct sockaddr_can sa = {.can_family = AF_CAN, .can_ifindex = ifindex};
	struct can_frame f = {0};
	int fd = socket(AF_CAN, SOCK_RAW, CAN_RAW);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("CAN_RAW");
		exit(1);
	}
	/* priority 7, PGN 0xec00 (TP.CM) to 0xff (all), from FOREIGN_SA */
	f.can_id = CAN_EFF_FLAG | (7u << 26) | (0xecu << 16) | (0xffu << 8) | FOREIGN_SA;
	f.len = 8;
	f.data[0] = 0x20; /* BAM */
	f.data[1] = 20;   /* message size */
	f.data[2] = 0;
	f.data[3] = 3; /* packets */
	f.data[4] = 0xff;
	f.data[5] = PGN & 0xff;
	f.data[6] = (PGN >> 8) & 0xff;
	f.data[7] = (PGN >> 16) & 0xff;
	if (write(fd, &f, sizeof(f)) != sizeof(f))
		perror("write(CAN_RAW)");
	close(fd);
}

static int j1939_name(const char *s)
{
	return strstr(s, "j1939") || strstr(s, "session") || strstr(s, "jsk->");
}

/* Write the j1939 lock classes of /proc/lockdep, with their dependencies on
 * each other, to the console (devkmsg's rate limit off: one line a record). */
static void dump_lockdep(void)
{
	FILE *in = fopen("/proc/lockdep", "r");
	int ctl = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY);
	int kmsg = open("/dev/kmsg", O_WRONLY);
	char line[512], out[600];
	int in_class = 0;

	if (ctl >= 0) {
		if (write(ctl, "on\n", 3) < 0)
			perror("printk_devkmsg");
		close(ctl);
	}
	if (!in || kmsg < 0)
		return;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] != ' ')
			in_class = j1939_name(line);
		if (in_class && j1939_name(line)) {
			snprintf(out, sizeof(out), "repro: lockdep: %s\n", line);
			if (write(kmsg, out, strlen(out)) < 0)
				break;
		}
	}
	fclose(in);
	close(kmsg);
}

int main(void)
{
	int ifindex, fd;

	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return 1;
	}
	if (vcan_create())
		return 1;
	ifindex = if_nametoindex("vcan0");
	if (!ifindex || link_set_up(ifindex, 1))
		return 1;
	fd = j1939_socket(ifindex);

	/* 1. two queued broadcast transfers: the second is activated under the
	 *    socket's sk_session_queue_lock when the first completes */
	j1939_broadcast(fd, ifindex, 20);
	j1939_broadcast(fd, ifindex, 20);
	sleep(2);

	/* 2. netdown: j1939_socks_lock, then each socket's sk_session_queue_lock */
	link_set_up(ifindex, 0);
	link_set_up(ifindex, 1);

	/* 3. a foreign BAM without data: the receive session (no socket) times
	 *    out after 750 ms and j1939_tp_rxtimer() cancels it */
	raw_bam_announce(ifindex);
	sleep(3);

	dump_lockdep();
	close(fd);
	sleep(1);
	return 0;
}
