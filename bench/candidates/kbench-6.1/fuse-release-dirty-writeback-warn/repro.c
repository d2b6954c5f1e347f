// Reproducer for "WARNING in fuse_write_file_get".
//
// With FUSE's writeback cache, dirty pages are written back through some
// open writable file of the inode (fi->write_files); fuse_write_file_get()
// warns when there is none. close() flushes the dirty pages (fuse_flush()),
// but a write() of another thread can still be running then: it holds its
// own reference to the file, so the last fput() (and fuse_release(), which
// unlinks the file from write_files) comes after that write has dirtied its
// page. The buggy fuse_release() does not write such pages back; the next
// writeback of the inode finds no writable file and warns. (The fix makes
// fuse_release() call write_inode_now() under the writeback cache.)
//
// The race is made deterministic with this minimal FUSE server (INIT with
// FUSE_WRITEBACK_CACHE; one 4 KiB regular file "f"):
//  1. thread W writes 1 byte at offset 0 of "f" (opened O_RDWR). The page is
//     not cached and the file is larger, so fuse_write_begin() reads it
//     first: W sends FUSE_READ and waits, holding the inode lock.
//  2. the server holds that READ; main sees it arrive and calls close(fd):
//     fuse_flush() writes back (nothing is dirty yet) and then waits for
//     the inode lock.
//  3. a second later the server answers the READ: W dirties the page and
//     drops its reference; close() sends FLUSH and drops the last one:
//     fuse_release() with a dirty page.
//  4. main opens "f" read-only and fsync()s it: fuse_writepages() ->
//     fuse_write_file_get() -> WARN_ON(!ff). The fixed kernel wrote the
//     page back in step 3 (the server answers WRITE), so nothing is dirty.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MNT "/tmp/kgym-fuse-wb"
#define FILE_ID 2
#define FILE_SIZE 4096

static int dev;
static char buf[1 << 20];
static volatile int read_seen, closing;
static uint64_t held_read;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static void reply(uint64_t unique, int error, const void *data, size_t size)
{
	static char out[sizeof(struct fuse_out_header) + FILE_SIZE];
	struct fuse_out_header *oh = (void *)out;

	pthread_mutex_lock(&write_lock);
	oh->len = sizeof(*oh) + size;
	oh->error = error;
	oh->unique = unique;
	if (size)
		memcpy(out + sizeof(*oh), data, size);
	if (write(dev, out, oh->len) != (ssize_t)oh->len)
		perror("reply");
	pthread_mutex_unlock(&write_lock);
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	a->mode = ino == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	a->size = ino == FUSE_ROOT_ID ? 0 : FILE_SIZE;
	a->blocks = a->size / 512;
	a->blksize = 4096;
}

/* Answers the held FUSE_READ once main is inside close() (step 3). */
static void *late_read_reply(void *arg)
{
	static char data[FILE_SIZE];

	(void)arg;
	while (!closing)
		usleep(1000);
	usleep(1000 * 1000);
	memset(data, 'a', sizeof(data));
	reply(held_read, 0, data, sizeof(data));
	return NULL;
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		ssize_t n = read(dev, buf, sizeof(buf));
		struct fuse_in_header *ih = (void *)buf;
		void *in = buf + sizeof(*ih);

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
						     .flags = FUSE_WRITEBACK_CACHE,
						     .max_write = 4096};
			reply(ih->unique, 0, &init, sizeof(init));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = {.nodeid = FILE_ID, .generation = 1,
						   .entry_valid = 3600, .attr_valid = 3600};

			if (ih->nodeid != FUSE_ROOT_ID || strcmp(in, "f")) {
				reply(ih->unique, -ENOENT, NULL, 0);
				break;
			}
			fill_attr(&e.attr, FILE_ID);
			reply(ih->unique, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR:
		case FUSE_SETATTR: {
			struct fuse_attr_out a = {.attr_valid = 3600};

			fill_attr(&a.attr, ih->nodeid);
			reply(ih->unique, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = {.fh = 1};

			reply(ih->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			pthread_t t;

			if (!read_seen) { /* the write's read of the page: hold it (step 2) */
				held_read = ih->unique;
				read_seen = 1;
				pthread_create(&t, NULL, late_read_reply, NULL);
				break;
			}
			reply(ih->unique, 0, NULL, 0); /* any later read: EOF */
			break;
		}
		case FUSE_WRITE: {
			struct fuse_write_out w = {.size = ((struct fuse_write_in *)in)->size};

			reply(ih->unique, 0, &w, sizeof(w));
			break;
		}
		case FUSE_RELEASE:
		case FUSE_FSYNC:
			reply(ih->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break; /* no reply */
		default:
			reply(ih->unique, -ENOSYS, NULL, 0);
		}
	}
}

static int fd;

static void *writer(void *arg)
{
	(void)arg;
	ssize_t n = pwrite(fd, "x", 1, 0);
	printf("write: %zd\n", n);
	return NULL;
}

int main(void)
{
	char opts[128];
	pthread_t srv, w;

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
	pthread_create(&srv, NULL, server, NULL);
	fd = open(MNT "/f", O_RDWR);
	if (fd < 0) {
		perror("open " MNT "/f");
		return 1;
	}
	pthread_create(&w, NULL, writer, NULL); /* step 1 */
	while (!read_seen)
		usleep(1000);
	closing = 1;
	close(fd); /* steps 2-3 */
	printf("closed\n");
	pthread_join(w, NULL);
	int ro = open(MNT "/f", O_RDONLY); /* step 4 */
	if (ro < 0) {
		perror("open " MNT "/f read-only");
		return 1;
	}
	printf("fsync: %d\n", fsync(ro));
	close(ro);
	printf("no warning\n");
	return 0;
}
