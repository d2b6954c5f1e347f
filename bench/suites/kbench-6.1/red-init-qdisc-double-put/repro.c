// Reproducer for "WARNING: refcount bug in qdisc_put".
//
// red_init() first runs __red_change(), which (limit > 0) creates a bfifo
// child qdisc, then sets up the early_drop qevent block. A block index of 0
// is refused, so red_init() fails. The buggy error path releases the child
// with qdisc_put() itself - but qdisc_create() answers a failed ->init() by
// calling ->destroy(), and red_destroy() puts the same child again: the
// second qdisc_put() drops a refcount that is already 0.
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

/*
 * RED as the root qdisc of lo, with both thresholds at 0: every packet is
 * above qth_max, so RED "hard marks" it and, without ECN, drops it through
 * the early_drop qevent, which runs the filters of the shared block
 * early_drop_block. limit > 0 makes RED create a bfifo child qdisc.
 */
static int add_red(uint32_t early_drop_block)
{
	struct msg m;
	struct tcmsg *t = msg_init(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	struct tc_red_qopt opt = { .limit = 100000 };
	unsigned char stab[256] = {0};

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = if_nametoindex("lo");
	t->tcm_handle = 0x10000;
	t->tcm_parent = TC_H_ROOT;
	put(&m, TCA_KIND, "red", 4);
	struct nlattr *o = nest(&m, TCA_OPTIONS);
	put(&m, TCA_RED_PARMS, &opt, sizeof(opt));
	put(&m, TCA_RED_STAB, stab, sizeof(stab));
	put(&m, TCA_RED_EARLY_DROP_BLOCK, &early_drop_block, 4);
	end(&m, o);
	return talk(&m, "add red qdisc");
}

int main(void)
{
	private_lo();
	add_red(0);
	return 0;
}
