// Reproducer for "memory leak in netlink_policy_dump_add_policy".
//
// A generic-netlink CTRL_CMD_GETPOLICY dump for a whole family collects the
// policies of all its operations, nested ones included, into one state:
// netlink_policy_dump_add_policy() allocates it (alloc_state(), room for 10
// policies) on its first call and add_policy() krealloc()s it by 10 more
// whenever it is full. When that krealloc() fails, the buggy
// netlink_policy_dump_add_policy() returns the error, and the buggy
// ctrl_dumppolicy_start() returns it too without freeing the state it has
// built (ctx->state): the dump never starts, so its ->done() never frees it.
// kmemleak then reports the state, allocated from
// netlink_policy_dump_add_policy (alloc_state() is inlined there; kzalloc is
// one of the allocators a leak's title passes over).
//
// The family is "ethtool" (44 policy arrays in 6.1's net/ethtool), whose first
// operation needs fewer than 10: the first krealloc() comes at the 11th
// distinct policy and fails with the state that alloc_state() made. The
// failure is made with the fault-injection framework: failslab ignores
// sleeping (GFP_KERNEL) allocations unless told not to, page allocations are
// kept out of the count (fail_page_alloc min-order 11: slab pages and the
// stack depot come and go), then /proc/thread-self/fail-nth = N fails the
// N-th injectable allocation of the next system call (the send() of the dump
// request, which runs the dump's ->start()).
//
// Only that one krealloc() is to fail: the next one would leak a state that
// add_policy() reallocated, a report titled "in add_policy". Everything
// before alloc_state() is the same for every family, so N is first stepped
// over the same dump of "nlctrl" (2 policies, no krealloc()): its last
// failing N is alloc_state()'s kzalloc. Past it, the ethtool dump's first
// failing N is its first krealloc() (kmemleak's own metadata allocations
// are counted too, but failing them is harmless); the reproducer stops there.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void policy_req(struct req *r, const char *family)
{
	struct nlattr *a = (struct nlattr *)r->attrs;

	memset(r, 0, sizeof(*r));
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + strlen(family) + 1;
	strcpy((char *)a + NLA_HDRLEN, family);
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	r->nh.nlmsg_type = GENL_ID_CTRL;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r->gh.cmd = CTRL_CMD_GETPOLICY;
	r->gh.version = 2;
}

/* Read the dump to its end; return its error (0 when it ran). */
static int drain(int sock)
{
	static char buf[1 << 16];

	for (;;) {
		int n = recv(sock, buf, sizeof(buf), 0);

		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* Send the dump request with its nth injectable allocation failing (0: none). */
static int dump(int sock, struct req *r, int nth)
{
	char nbuf[16];
	int fd = open("/proc/thread-self/fail-nth", O_WRONLY);

	if (fd < 0) {
		perror("fail-nth");
		return -ENOENT;
	}
	snprintf(nbuf, sizeof(nbuf), "%d", nth);
	if (nth)
		write(fd, nbuf, strlen(nbuf));
	r->nh.nlmsg_seq++;
	int sent = send(sock, r, r->nh.nlmsg_len, 0);
	int serr = errno;

	write(fd, "0", 1);
	close(fd);
	return sent < 0 ? -serr : drain(sock);
}

int main(void)
{
	struct req nl, eth;

	put("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	put("/sys/kernel/debug/failslab/verbose", "0");
	put("/sys/kernel/debug/fail_page_alloc/min-order", "11");
	put("/sys/kernel/debug/fail_page_alloc/verbose", "0");

	int sock = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (sock < 0) {
		perror("socket(NETLINK_GENERIC)");
		return 1;
	}
	policy_req(&nl, "nlctrl");
	policy_req(&eth, "ethtool");
	/* Unfaulted first: both families dump, and the socket's receive size is
	 * known, so a dump's first buffer is a large try with a fallback. */
	int err = dump(sock, &nl, 0);
	printf("GETPOLICY nlctrl, no fault: %s\n", err ? strerror(-err) : "ok");
	err = dump(sock, &eth, 0);
	printf("GETPOLICY ethtool, no fault: %s\n", err ? strerror(-err) : "ok");
	if (err)
		return 1;

	int last = 0;
	for (int nth = 1; nth <= 40; nth++) {
		err = dump(sock, &nl, nth);
		if (err) {
			last = nth;
			printf("nlctrl fail-nth %d: %s\n", nth, strerror(-err));
		}
	}
	printf("nlctrl: last failing allocation %d (alloc_state)\n", last);
	if (!last)
		return 1;
	for (int nth = last + 1; nth <= last + 12; nth++) {
		err = dump(sock, &eth, nth);
		printf("ethtool fail-nth %d: %s\n", nth, err ? strerror(-err) : "ok");
		if (err) {
			printf("first krealloc failed at %d: state leaked\n", nth);
			break;
		}
	}
	close(sock);
	return 0;
}
