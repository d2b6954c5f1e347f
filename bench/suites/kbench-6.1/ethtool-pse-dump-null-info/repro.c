// Reproducer for "general protection fault in pse_prepare_data".
//
// The generic ethtool-netlink dump (ethnl_default_dump_one()) calls each
// request type's ->prepare_data() with a NULL genl_info: a dump has no
// single request to attach an extack to. The buggy pse_prepare_data()
// passes info->extack on unconditionally, so an ETHTOOL_MSG_PSE_GET dump
// reads through a NULL pointer for the first device it visits. KASAN's
// inline shadow check of that small address faults on a non-canonical
// shadow address: a general protection fault in pse_prepare_data (the read
// is its own; pse_get_pse_attributes() then needs the extack because the
// device has no PHY).
//
// Steps: a private network namespace (its lo is the only device), resolve
// the "ethtool" generic netlink family, send ETHTOOL_MSG_PSE_GET with
// NLM_F_DUMP and an empty ETHTOOL_A_PSE_HEADER (6.1 refuses a request
// without a header, dump or not: "request header missing"). Single-threaded,
// one request.
#define _GNU_SOURCE
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static int family_id(int fd, const char *name)
{
	struct req r = {0};
	struct nlattr *a = (struct nlattr *)r.attrs;
	char buf[4096];

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + strlen(name) + 1;
	strcpy((char *)a + NLA_HDRLEN, name);
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	r.nh.nlmsg_type = GENL_ID_CTRL;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.gh.cmd = CTRL_CMD_GETFAMILY;
	r.gh.version = 1;
	if (send(fd, &r, r.nh.nlmsg_len, 0) < 0)
		return -1;
	int n = recv(fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n <= 0 || h->nlmsg_type == NLMSG_ERROR)
		return -1;
	int off = NLMSG_LENGTH(GENL_HDRLEN);
	while (off + NLA_HDRLEN <= (int)h->nlmsg_len) {
		struct nlattr *at = (struct nlattr *)(buf + off);

		if (at->nla_len < NLA_HDRLEN)
			break;
		if (at->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(unsigned short *)((char *)at + NLA_HDRLEN);
		off += NLA_ALIGN(at->nla_len);
	}
	return -1;
}

int main(void)
{
	char buf[8192];

	if (unshare(CLONE_NEWNET) < 0)
		perror("unshare(CLONE_NEWNET)");
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0) {
		perror("socket(NETLINK_GENERIC)");
		return 1;
	}
	int id = family_id(fd, "ethtool");
	if (id < 0) {
		fprintf(stderr, "no ethtool genetlink family\n");
		return 1;
	}
	struct req r = {0};
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nh.nlmsg_type = id;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.nh.nlmsg_seq = 1;
	r.gh.cmd = ETHTOOL_MSG_PSE_GET;
	r.gh.version = ETHTOOL_GENL_VERSION;
	struct nlattr *hdr = (struct nlattr *)r.attrs;
	hdr->nla_type = ETHTOOL_A_PSE_HEADER | NLA_F_NESTED;
	hdr->nla_len = NLA_HDRLEN; /* empty: no device, a dump covers them all */
	r.nh.nlmsg_len += NLA_HDRLEN;
	if (send(fd, &r, r.nh.nlmsg_len, 0) < 0) {
		perror("send PSE_GET dump");
		return 1;
	}
	int n = recv(fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int err = n > 0 && h->nlmsg_type == NLMSG_ERROR ?
		((struct nlmsgerr *)NLMSG_DATA(h))->error : 0;
	printf("PSE_GET dump answered with %d bytes, type %d, error %d\n", n,
	       n > 0 ? h->nlmsg_type : -1, err);
	return 0;
}
