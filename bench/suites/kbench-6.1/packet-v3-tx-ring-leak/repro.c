// Reproducer for "memory leak in packet_set_ring".
//
// packet_set_ring() allocates the ring's block vector (alloc_pg_vec(), inlined)
// before it checks what only a TPACKET_V3 TX ring forbids: a block retire
// timeout, private block space or feature words. The buggy error path for
// those jumps past the code that frees the vector, so every refused
// PACKET_TX_RING request leaks it (kmemleak: the vector's kzalloc, called
// from packet_set_ring; its pages are not tracked).
//
// Steps: an AF_PACKET socket set to TPACKET_V3, then PACKET_TX_RING with a
// valid geometry (one 4 KiB block of two 2 KiB frames) and
// tp_retire_blk_tov = 1, which fails with EINVAL after the allocation. Done
// on a few sockets, each closed at once, so that at least one leaked vector
// has no stale pointer left anywhere when kmemleak scans.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 8; i++) {
		int fd = socket(AF_PACKET, SOCK_RAW, 0);
		int version = TPACKET_V3;
		struct tpacket_req3 req = {
			.tp_block_size = 4096,
			.tp_block_nr = 1,
			.tp_frame_size = 2048,
			.tp_frame_nr = 2,
			.tp_retire_blk_tov = 1,
		};

		if (fd < 0) {
			perror("socket(AF_PACKET)");
			return 1;
		}
		if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) {
			perror("PACKET_VERSION");
			return 1;
		}
		int ret = setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req));
		printf("PACKET_TX_RING with a retire timeout: %d (%m)\n", ret);
		close(fd);
	}
	return 0;
}
