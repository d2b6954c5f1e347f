// Reproducer for "INFO: task hung in vhost_work_dev_flush".
//
// A VHOST_IOTLB_UPDATE message with iova 0 and size 0 asks for the range
// [0, 0 + 0 - 1] = [0, ULONG_MAX]. The buggy kernel takes it (the fix refuses
// a zero-size update in vhost_chr_write_iter(), and splits a [0, ULONG_MAX]
// range in two in vhost_iotlb_add_range_ctx()), and stores one entry whose
// size, last - start + 1, overflows to 0. With uaddr 0 the entry maps every
// address but 0 to itself: a lookup of address A gets size 0 - A, so the rings
// the device writes at start (used->flags, used->idx) translate, and the
// device starts. Only a lookup at address 0 gets size 0.
//
// This program puts the RX ring's descriptor table at IOVA 0. Starting the
// device (VHOST_VSOCK_SET_RUNNING) queues the send work, and the vhost worker
// runs vhost_transport_do_send_pkt(), which takes the RX vq's mutex and calls
// vq_meta_prefetch() -> iotlb_access_ok(addr 0): that loop adds the entry's
// size to the address until it has covered the ring, and the size is 0, so it
// never ends. The next flush of the device waits for a worker that never comes
// back: a second VHOST_SET_OWNER (refused with EBUSY, after which
// vhost_vsock_dev_ioctl() flushes the device) sleeps in wait_for_completion()
// under vhost_dev_flush(), in TASK_UNINTERRUPTIBLE, and the hung-task detector
// (20 s in the base config) reports it 20 to 40 s later.
//
// 6.1 renamed vhost_work_dev_flush() (the function in syzbot's report)
// to vhost_dev_flush(): the blocked task's stack names the 6.1 function.
//
// The base config is not preemptible (PREEMPT_NONE), syzbot's kernel was: the
// spinning worker passes no RCU quiescent state, and RCU reports its CPU
// stalled 21 s into a grace period the spin holds up, one that may have begun
// before the spin. That races the hung-task report, which comes 20 to 40 s
// after the block, by where khungtaskd's 20 s period stands (two runs with the
// warnings on: the hung task first both times, the block having come just
// before a check). A preemptible kernel has no such stall, so this program
// turns RCU's stall warnings off while it runs (rcupdate.rcu_cpu_stall_suppress,
// at run time) and on again if it returns. The worker is pinned alone on CPU 1, this
// program on CPU 0, so the spin leaves one CPU to the guest.
//
// With the fix, the update is refused (EINVAL), nothing maps the rings,
// starting the device fails (EFAULT), and the flush returns at once.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NUM 256			/* entries of each vring */
#define VIRTIO_F_ACCESS_PLATFORM 33
#define STALL_SUPPRESS "/sys/module/rcupdate/parameters/rcu_cpu_stall_suppress"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void set_param(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die(path);
	close(fd);
}

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set) < 0)
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

int main(void)
{
	/* the avail and used rings of both vqs; the descriptor tables are at IOVA 0 */
	char *mem = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
			 -1, 0);

	if (mem == MAP_FAILED)
		die("mmap");
	setvbuf(stdout, NULL, _IONBF, 0);
	pin(0, 0);
	set_param(STALL_SUPPRESS, "1");

	int fd = open("/dev/vhost-vsock", O_RDWR);

	if (fd < 0)
		die("open /dev/vhost-vsock");
	if (ioctl(fd, VHOST_SET_OWNER, NULL) < 0)
		die("VHOST_SET_OWNER");
	pin_worker();

	/* the IOTLB: the vring addresses are IOVAs, translated by its entries */
	uint64_t features = 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	if (ioctl(fd, VHOST_SET_FEATURES, &features) < 0)
		die("VHOST_SET_FEATURES");
	/* an empty memory table: starting a vq wants one, even with an IOTLB */
	struct vhost_memory table = {.nregions = 0};
	if (ioctl(fd, VHOST_SET_MEM_TABLE, &table) < 0)
		die("VHOST_SET_MEM_TABLE");

	struct vhost_msg msg = {.type = VHOST_IOTLB_MSG};
	msg.iotlb.iova = 0;
	msg.iotlb.size = 0; /* [0, ULONG_MAX] */
	msg.iotlb.uaddr = 0;
	msg.iotlb.perm = VHOST_ACCESS_RW;
	msg.iotlb.type = VHOST_IOTLB_UPDATE;
	ssize_t n = write(fd, &msg, sizeof(msg));
	printf("IOTLB update [0, ULONG_MAX]: %s\n", n == sizeof(msg) ? "taken" : strerror(errno));

	for (int q = 0; q < 2; q++) {
		struct vhost_vring_state num = {.index = q, .num = NUM};
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = 0,
			.avail_user_addr = (uintptr_t)(mem + q * 0x2000),
			.used_user_addr = (uintptr_t)(mem + q * 0x2000 + 0x1000),
		};

		if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0)
			die("VHOST_SET_VRING_NUM");
		if (ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0)
			die("VHOST_SET_VRING_ADDR");
	}
	uint64_t cid = 3;
	if (ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0)
		die("VHOST_VSOCK_SET_GUEST_CID");
	int running = 1;
	int r = ioctl(fd, VHOST_VSOCK_SET_RUNNING, &running);
	printf("VHOST_VSOCK_SET_RUNNING: %s\n", r < 0 ? strerror(errno) : "running");
	usleep(100 * 1000); /* let the worker reach the RX ring */

	/* refused (EBUSY), then the device is flushed: hangs on the buggy kernel */
	printf("flushing\n");
	r = ioctl(fd, VHOST_SET_OWNER, NULL);
	printf("second VHOST_SET_OWNER: %s; the flush returned: no hang\n",
	       r < 0 ? strerror(errno) : "ok");
	close(fd);
	set_param(STALL_SUPPRESS, "0");
	return 0;
}
