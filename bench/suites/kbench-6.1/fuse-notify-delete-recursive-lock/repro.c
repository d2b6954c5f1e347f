// Reproducer for "possible deadlock in fuse_reverse_inval_entry".
//
// FUSE_NOTIFY_DELETE makes fuse_reverse_inval_entry() lock the parent
// directory and then the child it deletes. The buggy version locks the
// parent with a plain inode_lock(): when the child is a directory too, both
// locks are of the same lockdep class and subclass, and lockdep reports
// "possible recursive locking". (The fix locks the parent as I_MUTEX_PARENT.)
//
// This is a minimal FUSE server on /dev/fuse: it answers INIT, a LOOKUP of
// directory "d" (node 2) in the root (node 1), and anything else with
// ENOSYS; once "d" is in the dentry cache it writes the notification.
// Lockdep needs to see the nesting only once, so this is deterministic.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MNT "/tmp/kgym-fuse"

static int dev;
static char buf[1 << 20];

static void reply(uint64_t unique, int error, const void *data, size_t size)
{
	char out[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *oh = (void *)out;

	oh->len = sizeof(*oh) + size;
	oh->error = error;
	oh->unique = unique;
	memcpy(out + sizeof(*oh), data, size);
	if (write(dev, out, oh->len) != (ssize_t)oh->len)
		perror("reply");
}

static void fill_dir_attr(struct fuse_attr *a, uint64_t ino)
{
	a->ino = ino;
	a->mode = S_IFDIR | 0755;
	a->nlink = 2;
	a->blksize = 4096;
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		ssize_t n = read(dev, buf, sizeof(buf));
		struct fuse_in_header *ih = (void *)buf;

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return NULL;
		}
		switch (ih->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out init = {.major = FUSE_KERNEL_VERSION,
						     .minor = 31,
						     .max_readahead = 65536,
						     .max_write = 4096};
			reply(ih->unique, 0, &init, sizeof(init));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = {.nodeid = 2, .generation = 1,
						   .entry_valid = 3600, .attr_valid = 3600};
			const char *name = buf + sizeof(*ih);

			if (ih->nodeid != FUSE_ROOT_ID || strcmp(name, "d")) {
				reply(ih->unique, -ENOENT, NULL, 0);
				break;
			}
			fill_dir_attr(&e.attr, 2);
			reply(ih->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a = {.attr_valid = 3600};

			fill_dir_attr(&a.attr, ih->nodeid);
			reply(ih->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break; /* no reply */
		default:
			reply(ih->unique, -ENOSYS, NULL, 0);
		}
	}
}

int main(void)
{
	char opts[128];
	pthread_t t;
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("private mount namespace");
		return 1;
	}
	dev = open("/dev/fuse", O_RDWR);
	if (dev < 0) {
		perror("/dev/fuse");
		return 1;
	}
	mkdir(MNT, 0755);
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("kgym", MNT, "fuse", 0, opts) < 0) {
		perror("mount fuse");
		return 1;
	}
	pthread_create(&t, NULL, server, NULL);
	if (stat(MNT "/d", &st) < 0) {
		perror("stat " MNT "/d");
		return 1;
	}
	struct {
		struct fuse_out_header oh;
		struct fuse_notify_delete_out del;
		char name[2];
	} __attribute__((packed)) note = {
		.oh = {.len = sizeof(note), .error = FUSE_NOTIFY_DELETE, .unique = 0},
		.del = {.parent = FUSE_ROOT_ID, .child = 2, .namelen = 1},
		.name = "d",
	};
	if (write(dev, &note, sizeof(note)) < 0)
		perror("FUSE_NOTIFY_DELETE");
	printf("notified: no report\n");
	return 0;
}
