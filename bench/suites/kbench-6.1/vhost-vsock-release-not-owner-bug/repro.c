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
// in it, sets a guest CID, starts the device and kicks TX. The worker then
// drains TX 256 packets at a time, requeueing itself; the parent keeps TX busy
// by moving avail->idx ahead. It forks a child (a new mm: not the owner),
// closes its own fd, and the child does the last close, so release runs in
// the child while the worker is in the TX loop. The reset must land in the
// stretch of vhost_get_vq_desc() between reading a descriptor and the BUG_ON,
// so the round is repeated (a miss is harmless: the worker next reads the NULL
// ring, gets -EFAULT and leaves the loop).
//
// The TX entries: seven of every eight are an empty descriptor (length 0).
// translate_desc() maps nothing for it, so that stretch touches nothing
// release frees (the memory table, the iovec arrays), and vhost_vsock_alloc_skb()
// refuses the packet at once (shorter than a header): the worker spends most of
// its time in vhost_get_vq_desc(). An empty packet is not marked used, so the
// eighth is a 44-byte header addressed to no one (read and dropped, marked
// used), from which the parent counts how far the device has got. (With
// headers only, the first pinned version of this program: 13.5 s into its run
// a general protection fault in vhost_iotlb_itree_first: the worker was held
// up in translate_desc() of a header while release freed the memory table.)
//
// It needs 2 CPUs, and the worker alone on one of them: the worker and the
// release must run at the same time. The same bug has a second report, the
// WARN_ON(!llist_empty(&dev->work_list)) of vhost_dev_cleanup(): the TX handler
// requeues itself after each batch, and if the worker shares its CPU with the
// release, the release (PREEMPT_NONE: not preempted in the kernel) runs while
// the worker waits in cond_resched() with that work still queued, and the WARN
// fires first (the first version of this program, unpinned: "WARNING in
// vhost_dev_cleanup" 4.6 s into its run; the cause is inferred from the code,
// and no pinned run has hit the WARN since). So each round pins the worker
// (the kthread "vhost-<owner pid>") to CPU 1 and this program and the child to
// CPU 0.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_ring.h>
#include <sched.h>
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
#define PERIOD 8		/* one header packet in every PERIOD TX entries */

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

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set) < 0 && errno != ESRCH)
		die("sched_setaffinity");
}

// Pin this device's worker, the kthread "vhost-<our pid>", to CPU 1.
static void pin_worker(void)
{
	char want[32], path[64], comm[32];
	DIR *proc = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!proc)
		die("/proc");
	snprintf(want, sizeof(want), "vhost-%d\n", getpid());
	while ((e = readdir(proc))) {
		int pid = atoi(e->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want)) {
			pin(pid, 1);
			found++;
		}
		fclose(f);
	}
	closedir(proc);
	if (!found) {
		fprintf(stderr, "no worker thread %s", want);
		exit(1);
	}
}

// One device, owned by this process, with TX running. Returns its fd.
static int setup(unsigned cid, int kick[2])
{
	int fd = open("/dev/vhost-vsock", O_RDWR);

	if (fd < 0)
		die("open /dev/vhost-vsock");
	xioctl(fd, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	pin_worker();

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
	/* TX: descriptor 0 is an empty driver-to-device buffer, descriptor 1 one
	 * holding a packet header; of every PERIOD avail entries, the last is 1 */
	rings[VQ_TX].desc[0].addr = (uintptr_t)(mem + 2 * VQ_SPAN);
	rings[VQ_TX].desc[0].len = 0;
	rings[VQ_TX].desc[1].addr = (uintptr_t)(mem + 2 * VQ_SPAN);
	rings[VQ_TX].desc[1].len = HDR_LEN;
	for (int p = 0; p < NUM; p++)
		rings[VQ_TX].avail->ring[p] = p % PERIOD == PERIOD - 1;

	uint64_t guest_cid = cid;
	xioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &guest_cid, "VHOST_VSOCK_SET_GUEST_CID");
	int running = 1;
	xioctl(fd, VHOST_VSOCK_SET_RUNNING, &running, "VHOST_VSOCK_SET_RUNNING");

	__atomic_store_n(&rings[VQ_TX].avail->idx, NUM - PERIOD, __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (write(kick[VQ_TX], &one, sizeof(one)) != sizeof(one))
		die("kick");
	return fd;
}

// Keep TX busy: about NUM entries offered past what the device has taken.
// Only the header packets are marked used, one of every PERIOD entries, so
// the device has taken PERIOD * used->idx entries, give or take a PERIOD
// (16-bit arithmetic: NUM and PERIOD are powers of 2). If the device has used
// nothing since the last call, it may have caught up and re-enabled
// notifications: kick it (until release stops polling the kick eventfd, a
// kick queues the TX handler; after that it only counts).
static void feed(int kick)
{
	static uint16_t last;
	uint16_t used = __atomic_load_n(&rings[VQ_TX].used->idx, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	__atomic_store_n(&rings[VQ_TX].avail->idx, (uint16_t)(PERIOD * used + NUM - PERIOD),
			 __ATOMIC_RELEASE);
	if (used == last && write(kick, &one, sizeof(one)) != sizeof(one))
		die("kick");
	last = used;
}

int main(void)
{
	mem = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	layout();
	pin(0, 0); /* this program, and the children it forks */
	setvbuf(stdout, NULL, _IONBF, 0);

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
			feed(kick[VQ_TX]);
			usleep(200);
		}
		close(fd);
		if (write(go[1], "g", 1) != 1)
			die("go");
		close(go[1]);

		int status;
		while (waitpid(child, &status, WNOHANG) == 0) {
			feed(kick[VQ_TX]);
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
