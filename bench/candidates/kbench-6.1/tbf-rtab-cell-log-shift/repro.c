// Reproducer for "UBSAN: shift-out-of-bounds in __detect_linklayer".
//
// A qdisc given a rate whose link layer is "unaware" (TC_LINKLAYER_UNAWARE,
// what old tc binaries send) gets it guessed: qdisc_get_rtab() keeps the
// 1024-byte rate table and calls __detect_linklayer(), which computes
// `low >> r->cell_log` and `high >> r->cell_log`. cell_log is a u8 from
// user space; the buggy qdisc_get_rtab() rejects only 0, so a cell_log of
// 40 shifts a 32-bit int by 40: UBSAN reports shift-out-of-bounds at once
// (the fix rejects cell_log >= 32 before the table is used).
//
// Steps, on lo of a private network namespace: one RTM_NEWQDISC adding a
// TBF root qdisc whose TCA_TBF_PARMS rate has linklayer 0 and cell_log 40,
// with a TCA_TBF_RTAB table (tbf_change() looks the table up before it
// checks anything else). Single-threaded, one system call.
/* --- a minimal rtnetlink client (the guest has no iproute2) --- */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct msg {
	struct nlmsghdr *nh;
	char buf[8192] __attribute__((aligned(4)));
};

static struct tcmsg *msg_init(struct msg *m, int type, int flags)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->nh = (struct nlmsghdr *)m->buf;
	m->nh->nlmsg_type = type;
	m->nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
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

static struct nlattr *nest(struct msg *m, int type)
{
	return put(m, type, NULL, 0);
}

static void end(struct msg *m, struct nlattr *a)
{
	a->nla_len = m->buf + m->nh->nlmsg_len - (char *)a;
}

/* Send one request, return 0 or -errno from the kernel's ack. */
static int talk(struct msg *m, const char *what)
{
	static int fd = -1;
	char ack[8192];

	if (fd < 0) {
		int one = 1;

		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	}
	if (send(fd, m->buf, m->nh->nlmsg_len, 0) < 0) {
		perror(what);
		return -errno;
	}
	int n = recv(fd, ack, sizeof(ack), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)ack;
	int err = (n > 0 && h->nlmsg_type == NLMSG_ERROR) ?
		((struct nlmsgerr *)NLMSG_DATA(h))->error : 0;
	const char *why = "";
	if (err && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
		int off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);

		for (struct nlattr *a = (struct nlattr *)(ack + off); off + NLA_HDRLEN <= n;
		     off += NLA_ALIGN(a->nla_len), a = (struct nlattr *)(ack + off)) {
			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == NLMSGERR_ATTR_MSG)
				why = (char *)a + NLA_HDRLEN;
		}
	}
	printf("%s: %s %s\n", what, err ? strerror(-err) : "ok", why);
	return err;
}

/* A private network namespace whose lo is up: qdiscs there leave eth0 alone. */
static void private_lo(void)
{
	struct ifreq ifr = {0};
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		exit(1);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_qlen = 1000;
	ioctl(fd, SIOCSIFTXQLEN, &ifr);
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		perror("SIOCSIFFLAGS lo");
	close(fd);
}
/* --- end of the rtnetlink client --- */

int main(void)
{
	struct msg m;
	struct tcmsg *t;
	struct tc_tbf_qopt opt = {
		.rate = {
			.linklayer = TC_LINKLAYER_UNAWARE,
			.cell_log = 40,
			.rate = 125000, /* 1 Mbit/s: below the 100 Mbit/s "give up" rate */
		},
		.limit = 10000,
		.buffer = 1000000,
	};
	__u32 rtab[256];

	for (int i = 0; i < 256; i++)
		rtab[i] = 1000 + i; /* nonzero: __detect_linklayer() looks at it */

	private_lo();
	t = msg_init(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = if_nametoindex("lo");
	t->tcm_handle = 0x10000;
	t->tcm_parent = TC_H_ROOT;
	put(&m, TCA_KIND, "tbf", 4);
	struct nlattr *o = nest(&m, TCA_OPTIONS);
	put(&m, TCA_TBF_PARMS, &opt, sizeof(opt));
	put(&m, TCA_TBF_RTAB, rtab, sizeof(rtab));
	end(&m, o);
	talk(&m, "add tbf qdisc with cell_log 40");
	return 0;
}
