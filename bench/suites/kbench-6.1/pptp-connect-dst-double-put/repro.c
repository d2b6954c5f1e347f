// Reproducer for "KASAN: use-after-free Write in dst_release".
//
// The buggy pptp_connect() hands its route to the socket (sk_setup_caps()
// keeps the reference) and then drops that same reference with
// ip_rt_put(). The route's only remaining reference is the one of the
// per-CPU output route cache, though two places point at it.
//
// Deterministic order: connect (the route is cached and owned by the
// socket), flush the route cache (a genid bump), look the route up again on
// the same CPU, which replaces the cached entry and releases the old route:
// its count drops to zero and it is freed after an RCU grace period. Closing
// the socket then releases the freed route: dst_release() decrements a freed
// refcount. All of it runs on CPU 0 in a private network namespace (only its
// loopback is up), so eth0 and SSH are untouched.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h> /* before the uapi headers: libc-compat */
#include <linux/if_pppox.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int loopback_up(void)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(s);
	return 0;
}

static void flush_route_cache(void)
{
	int fd = open("/proc/sys/net/ipv4/route/flush", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		perror("/proc/sys/net/ipv4/route/flush");
	close(fd);
}

static void route_lookup(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		perror("udp connect");
	close(s);
}

int main(void)
{
	cpu_set_t cpu0;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0) < 0)
		perror("sched_setaffinity");
	if (unshare(CLONE_NEWNET) < 0 || loopback_up() < 0) {
		perror("private netns with loopback");
		return 1;
	}
	for (int round = 0; round < 5; round++) {
		struct sockaddr_pppox sp = {0};
		int s = socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_PPTP);

		if (s < 0) {
			perror("socket(AF_PPPOX, PX_PROTO_PPTP)");
			return 1;
		}
		sp.sa_family = AF_PPPOX;
		sp.sa_protocol = PX_PROTO_PPTP;
		sp.sa_addr.pptp.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sp.sa_addr.pptp.call_id = 0;
		if (bind(s, (struct sockaddr *)&sp, sizeof(sp)) < 0) {
			perror("bind");
			return 1;
		}
		sp.sa_addr.pptp.call_id = 1 + round;
		if (connect(s, (struct sockaddr *)&sp, sizeof(sp)) < 0) {
			perror("connect");
			return 1;
		}
		flush_route_cache();
		route_lookup();
		usleep(200 * 1000); /* RCU: the replaced route is freed */
		close(s);
		usleep(200 * 1000);
		printf("round %d: no crash\n", round);
	}
	return 0;
}
