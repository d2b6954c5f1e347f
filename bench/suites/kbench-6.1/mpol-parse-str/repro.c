// Reproducer for "KASAN: slab-out-of-bounds Write in mpol_parse_str".
//
// mpol_parse_str() parses "<mode>[=<flags>][:<nodelist>]". When the nodelist
// fails to parse, the buggy version jumps to its error path before it has
// stepped past the '=' of the flags, and "restores" that '=' one byte before
// the start of the option string: a 1-byte write before a kmalloc'ed buffer.
// The option value "=:X" puts the '=' at offset 0 and an invalid nodelist "X".
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	mkdir("/tmp/mpol", 0755);
	for (int i = 0; i < 64; i++) {
		if (mount("tmpfs", "/tmp/mpol", "tmpfs", 0, "mpol==:X") == 0)
			umount("/tmp/mpol");
	}
	printf("mount(mpol==:X): %s\n", strerror(errno));
	return 0;
}
