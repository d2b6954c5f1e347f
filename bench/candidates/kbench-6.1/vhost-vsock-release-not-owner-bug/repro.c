// Reproducer for "kernel BUG in vhost_get_vq_desc".
//
// The buggy vhost_vsock_dev_release() stops the device's virtqueues with
// vhost_vsock_stop(), which first checks that the caller is the owner
// (current->mm == dev->mm) and otherwise does nothing. When the last close of
// /dev/vhost-vsock comes from a process that is not the owner, the vqs keep
// their backend, so the vhost worker keeps running the TX kick handler while
// release goes on to vhost_dev_cleanup(). That resets every vq under no vq
// lock (vhost_vq_reset(): used_flags = 0, rings NULL), while the worker, which
// holds only vq->mutex, is in the middle of vhost_get_vq_desc(). Having
// mapped a descriptor, vhost_get_vq_desc() ends with
//     BUG_ON(!(vq->used_flags & VRING_USED_F_NO_NOTIFY));
// (the TX handler set the flag with vhost_disable_notify() at its start) and
// the reset has just cleared it: kernel BUG at drivers/vhost/vhost.c, RIP in
// vhost_get_vq_desc, called from vhost_vsock_handle_tx_kick in the worker.
// With the fix, release clears the backends under each vq's mutex whoever
// calls it, and the handler returns at once from then on.
//
// What this program does, each round: the parent opens the device, becomes its
// owner, maps one shared region 1:1 as the guest's memory, sets up both vrings
// in it (TX: every avail entry is descriptor 0, a 44-byte packet header
// addressed to no one, which the handler reads and drops), sets a guest CID,
// starts the device and kicks TX. The worker then drains TX 256 packets at a
// time, requeueing itself; the parent keeps TX busy by moving avail->idx to
// used->idx + NUM. It forks a child (a new mm: not the owner), closes its own
// fd, and the child does the last close, so release runs in the child while
// the worker is in the TX loop. The reset must land in the short stretch of
// vhost_get_vq_desc() between fetching a descriptor and the BUG_ON, so the
// round is repeated (a miss is harmless: the worker next reads the NULL ring,
// gets -EFAULT and leaves the loop). It needs 2 CPUs: the worker and the
// release must run at the same time (PREEMPT_NONE: the worker is not preempted
// inside its 256-packet batch).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_ring.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NUM 1024		/* entries of each vring */
#define VQ_SPAN 0x10000		/* bytes of the region per vring */
#define REGION (3 * VQ_SPAN)	/* RX vring, TX vring, packet buffer */
#define VQ_RX 0
#define VQ_TX 1
#define HDR_LEN 44		/* sizeof(struct virtio_vsock_hdr) */

struct ring {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

static char *mem;
static struct ring rings[2];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0)
		die(name);
}

static void layout(void)
{
	for (int q = 0; q < 2; q++) {
		char *base = mem + q * VQ_SPAN;

		rings[q].desc = (struct vring_desc *)base;				/* 16 KiB */
		rings[q].avail = (struct vring_avail *)(base + 16 * NUM);		/* 2 KiB + 6 */
		rings[q].used = (struct vring_used *)(base + 16 * NUM + 0x1000);	/* 8 KiB + 6 */
	}
}

// One device, owned by this process, with TX running. Returns its fd.
static int setup(unsigned cid, int kick[2])
{
	int fd = open("/dev/vhost-vsock", O_RDWR);

	if (fd < 0)
		die("open /dev/vhost-vsock");
	xioctl(fd, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");

	struct {
		struct vhost_memory hdr;
		struct vhost_memory_region region;
	} table = {0};
	table.hdr.nregions = 1;
	table.region.guest_phys_addr = (uintptr_t)mem; /* guest address = our address */
	table.region.memory_size = REGION;
	table.region.userspace_addr = (uintptr_t)mem;
	xioctl(fd, VHOST_SET_MEM_TABLE, &table, "VHOST_SET_MEM_TABLE");

	memset(mem, 0, REGION); /* the packet header at 2 * VQ_SPAN: all zero, src_cid 0 */
	for (int q = 0; q < 2; q++) {
		struct vhost_vring_state num = {.index = q, .num = NUM};
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = (uintptr_t)rings[q].desc,
			.avail_user_addr = (uintptr_t)rings[q].avail,
			.used_user_addr = (uintptr_t)rings[q].used,
		};
		struct vhost_vring_file file = {.index = q};

		kick[q] = eventfd(0, EFD_CLOEXEC);
		if (kick[q] < 0)
			die("eventfd");
		file.fd = kick[q];
		xioctl(fd, VHOST_SET_VRING_NUM, &num, "VHOST_SET_VRING_NUM");
		xioctl(fd, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
		xioctl(fd, VHOST_SET_VRING_KICK, &file, "VHOST_SET_VRING_KICK");
	}
	/* TX: descriptor 0 is one driver-to-device buffer holding a packet header */
	rings[VQ_TX].desc[0].addr = (uintptr_t)(mem + 2 * VQ_SPAN);
	rings[VQ_TX].desc[0].len = HDR_LEN;
	rings[VQ_TX].desc[0].flags = 0;
	rings[VQ_TX].desc[0].next = 0;

	uint64_t guest_cid = cid;
	xioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &guest_cid, "VHOST_VSOCK_SET_GUEST_CID");
	int running = 1;
	xioctl(fd, VHOST_VSOCK_SET_RUNNING, &running, "VHOST_VSOCK_SET_RUNNING");

	__atomic_store_n(&rings[VQ_TX].avail->idx, NUM, __ATOMIC_RELEASE); /* all avail entries: 0 */
	uint64_t one = 1;
	if (write(kick[VQ_TX], &one, sizeof(one)) != sizeof(one))
		die("kick");
	return fd;
}

// Keep TX busy: NUM entries offered past what the device has used.
static void feed(void)
{
	uint16_t used = __atomic_load_n(&rings[VQ_TX].used->idx, __ATOMIC_ACQUIRE);

	__atomic_store_n(&rings[VQ_TX].avail->idx, (uint16_t)(used + NUM), __ATOMIC_RELEASE);
}

int main(void)
{
	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	layout();

	time_t end = time(NULL) + 60;
	int rounds = 0;
	unsigned seed = 1;

	for (; time(NULL) < end; rounds++) {
		int kick[2], go[2];
		int fd = setup(3 + rounds % 100000, kick);

		if (pipe(go) < 0)
			die("pipe");
		seed = seed * 1103515245 + 12345;
		int spins = (seed >> 8) % 20000;
		pid_t child = fork();

		if (child < 0)
			die("fork");
		if (child == 0) {
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			for (volatile int i = 0; i < spins; i++)
				;
			close(fd); /* the last close: release runs here, not in the owner */
			_exit(0);
		}
		close(go[0]);
		/* let the worker get going on TX before the release starts */
		for (int i = 0; i < 10; i++) {
			feed();
			usleep(200);
		}
		close(fd);
		if (write(go[1], "g", 1) != 1)
			die("go");
		close(go[1]);

		int status;
		while (waitpid(child, &status, WNOHANG) == 0) {
			feed();
			usleep(200);
		}
		close(kick[0]);
		close(kick[1]);
		if (rounds % 50 == 0)
			printf("round %d\n", rounds);
	}
	printf("no crash after %d rounds\n", rounds);
	return 0;
}
