// Reproducer for "memory leak in em_nbyte_change".
//
// The "nbyte" ematch has a ->change() that kmemdup()s its pattern into
// em->data. The buggy tcf_em_validate() calls ->change() even for a match
// flagged TCF_EM_SIMPLE, and tcf_em_tree_destroy() never frees em->data of
// a simple match (it is supposed to be a plain u32): the copy leaks.
//
// The filter is made to fail right after the match is validated (the tree
// header announces 2 matches, the list has 1), so the tree is destroyed at
// once. The filter needs a block to live in: a shared block created by RED's
// early_drop qevent, since the base kernel has no classful qdisc.
/* --- a minimal rtnetlink client (the guest has no iproute2) --- */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_ematch/tc_em_cmp.h>
#include <linux/tc_ematch/tc_em_nbyte.h>
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


/* A "basic" filter on shared block 1 whose ematch tree is given raw. */
static int add_basic(const void *ematch, int len, uint16_t nmatches)
{
	struct msg m;
	struct tcmsg *t = msg_init(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL);
	struct tcf_ematch_tree_hdr hdr = { .nmatches = nmatches };

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = TCM_IFINDEX_MAGIC_BLOCK;
	t->tcm_block_index = 1;
	t->tcm_info = TC_H_MAKE(1 << 16, htons(0x0003 /* ETH_P_ALL */));
	put(&m, TCA_KIND, "basic", 6);
	struct nlattr *o = nest(&m, TCA_OPTIONS);
	struct nlattr *e = nest(&m, TCA_BASIC_EMATCHES);
	put(&m, TCA_EMATCH_TREE_HDR, &hdr, sizeof(hdr));
	struct nlattr *l = nest(&m, TCA_EMATCH_TREE_LIST);
	put(&m, 1, ematch, len);
	end(&m, l);
	end(&m, e);
	end(&m, o);
	return talk(&m, "add basic filter");
}

int main(void)
{
	struct {
		struct tcf_ematch_hdr hdr;
		struct tcf_em_nbyte nbyte;
		char pattern[4];
	} em = {
		.hdr = { .kind = TCF_EM_NBYTE, .flags = TCF_EM_SIMPLE },
		.nbyte = { .off = 0, .len = 4, .layer = TCF_LAYER_NETWORK },
		.pattern = "kgym",
	};

	private_lo();
	if (add_red(1))
		return 0;
	for (int i = 0; i < 4; i++)
		add_basic(&em, sizeof(em), 2);
	return 0;
}
