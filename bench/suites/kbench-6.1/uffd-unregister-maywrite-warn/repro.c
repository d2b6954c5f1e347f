// Reproducer for "WARNING in userfaultfd_ioctl".
//
// UFFDIO_UNREGISTER walks every vma of the range. Only a vma registered with
// a userfaultfd can have been checked for VM_MAYWRITE (UFFDIO_REGISTER
// refuses one without it), so the walk asserts VM_MAYWRITE only after it has
// skipped unregistered vmas. The buggy version asserts it before the skip:
// unregistering a range that holds a never-registered vma without
// VM_MAYWRITE warns (userfaultfd_unregister() is inlined into
// userfaultfd_ioctl()).
//
// Such a vma: a shared mapping of a shmem file opened read-only (do_mmap()
// clears VM_MAYWRITE when the file is not open for writing). shmem passes
// vma_can_userfault(), so the unregister's first pass accepts the range.
// Steps: memfd_create, reopen it O_RDONLY through /proc/self/fd, mmap it
// PROT_READ MAP_SHARED, then userfaultfd + UFFDIO_API + UFFDIO_UNREGISTER
// over the mapping. Single-threaded and deterministic.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[64];
	int mfd = memfd_create("uffd-ro", 0);

	if (mfd < 0 || ftruncate(mfd, 4 * page) < 0) {
		perror("memfd_create/ftruncate");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	int ro = open(path, O_RDONLY);
	if (ro < 0) {
		perror(path);
		return 1;
	}
	char *map = mmap(NULL, 4 * page, PROT_READ, MAP_SHARED, ro, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		perror("userfaultfd");
		return 1;
	}
	struct uffdio_api api = { .api = UFFD_API };
	if (ioctl(uffd, UFFDIO_API, &api) < 0) {
		perror("UFFDIO_API");
		return 1;
	}
	struct uffdio_range range = { .start = (unsigned long)map, .len = 4 * page };
	int ret = ioctl(uffd, UFFDIO_UNREGISTER, &range);
	printf("UFFDIO_UNREGISTER of a read-only shmem mapping: %d\n", ret);
	return 0;
}
