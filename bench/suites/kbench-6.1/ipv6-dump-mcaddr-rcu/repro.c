// Reproducer for "WARNING: suspicious RCU usage in in6_dump_addrs".
//
// An RTM_GETMULTICAST dump for AF_INET6 walks idev->mc_list in
// in6_dump_addrs(). With strict checking on (NETLINK_GET_STRICT_CHK) and an
// interface index in the request, inet6_dump_addr() calls in6_dump_addrs()
// for that one device under RTNL only, outside rcu_read_lock(). The list is
// protected by RTNL there, but the buggy version walks it with
// rcu_dereference(), which lockdep (PROVE_RCU) reports as suspicious.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

int main(void)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETMULTICAST,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.ifa = { .ifa_family = AF_INET6 },
	};
	char buf[16384];
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	for (int i = 0; i < 2; i++) {
		req.ifa.ifa_index = if_nametoindex(i ? "eth0" : "lo");
		if (!req.ifa.ifa_index)
			continue;
		if (send(fd, &req, sizeof(req), 0) < 0) {
			perror("send");
			return 1;
		}
		for (int done = 0; !done;) {
			int n = recv(fd, buf, sizeof(buf), 0);

			if (n <= 0)
				break;
			for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
			     h = NLMSG_NEXT(h, n))
				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
					done = 1;
		}
		printf("dumped ifindex %d\n", req.ifa.ifa_index);
	}
	return 0;
}
