// Reproducer for "memory leak in netlink_policy_dump_add_policy".
//
// A generic-netlink CTRL_CMD_GETPOLICY dump for a whole family collects the
// policies of all its operations, nested ones included, into one state:
// netlink_policy_dump_add_policy() allocates it (alloc_state(), room for 10
// policies) on the first call and add_policy() krealloc()s it by 10 more
// whenever it is full. When that krealloc() fails, the buggy
// netlink_policy_dump_add_policy() returns the error, and the buggy
// ctrl_dumppolicy_start() returns it too, without freeing the state it has
// already built: the dump never starts, so nothing frees it (its ->done()
// is not called). kmemleak then reports the state, allocated from
// netlink_policy_dump_add_policy (alloc_state() is one of the allocators a
// leak's title passes over).
//
// The family is "ethtool" (37 operations with policies, 44 policy arrays in
// 6.1): the state is reallocated at the 11th distinct policy. The failure is
// made with the fault-injection framework: failslab normally ignores
// sleeping (GFP_KERNEL) allocations, so that filter is switched off, then
// /proc/thread-self/fail-nth = N fails the N-th injectable allocation of the
// next system call (the send() of the dump request, which runs the dump's
// ->start()). N is stepped up from 1: failures before the policy walk fail
// the request cleanly, and the first one that lands on the first krealloc()
// leaks the state allocated by alloc_state() (kmemleak lists the oldest
// leak first; later N may leak reallocated states too).
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

int main(void)
{
	put("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	put("/sys/kernel/debug/failslab/verbose", "0");

	int sock = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (sock < 0) {
		perror("socket(NETLINK_GENERIC)");
		return 1;
	}
	struct req r = {0};
	struct nlattr *a = (struct nlattr *)r.attrs;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof("ethtool");
	strcpy((char *)a + NLA_HDRLEN, "ethtool");
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	r.nh.nlmsg_type = GENL_ID_CTRL;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.gh.cmd = CTRL_CMD_GETPOLICY;
	r.gh.version = 2;

	if (send(sock, &r, r.nh.nlmsg_len, 0) < 0) {
		perror("send GETPOLICY");
		return 1;
	}
	int err = drain(sock);
	printf("GETPOLICY dump of ethtool, no fault: %s\n", err ? strerror(-err) : "ok");

	for (int nth = 1; nth <= 60; nth++) {
		char nbuf[16];
		int fd = open("/proc/thread-self/fail-nth", O_WRONLY);

		if (fd < 0) {
			perror("fail-nth");
			return 1;
		}
		snprintf(nbuf, sizeof(nbuf), "%d", nth);
		write(fd, nbuf, strlen(nbuf));
		r.nh.nlmsg_seq = nth;
		int sent = send(sock, &r, r.nh.nlmsg_len, 0);
		int serr = errno;

		write(fd, "0", 1);
		close(fd);
		err = sent < 0 ? -serr : drain(sock);
		printf("fail-nth %d: %s\n", nth, err ? strerror(-err) : "ok");
	}
	close(sock);
	return 0;
}
