// Reproducer for "WARNING in bpf_verifier_vlog".
//
// bpf_verifier_vlog() formats each log line into a 1024-byte buffer; the
// buggy version WARNs when a line fills it. The BTF verifier prints a type's
// name in its log, and a name too long to be a valid identifier is printed
// in full in the "Invalid name" message. So: BPF_BTF_LOAD, with a verifier
// log, of one struct type named by 2000 'a's.
#include <linux/bpf.h>
#include <linux/btf.h>

/* type info word: kind in bits 24-28, kind_flag in bit 31, vlen in bits 0-15 */
#define BTF_INFO_ENC(kind, kflag, vlen) (((kflag) << 31) | ((kind) << 24) | (vlen))
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NAME_LEN 2000

int main(void)
{
	static struct {
		struct btf_header hdr;
		struct btf_type st;
		char strings[1 + NAME_LEN + 1];
	} __attribute__((packed)) btf = {
		.hdr = {
			.magic = BTF_MAGIC,
			.version = BTF_VERSION,
			.hdr_len = sizeof(struct btf_header),
			.type_off = 0,
			.type_len = sizeof(struct btf_type),
			.str_off = sizeof(struct btf_type),
			.str_len = 1 + NAME_LEN + 1,
		},
		.st = { .name_off = 1, .info = BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 0), .size = 0 },
	};
	static char log[65536];
	union bpf_attr attr;

	memset(btf.strings + 1, 'a', NAME_LEN);
	memset(&attr, 0, sizeof(attr));
	attr.btf = (unsigned long)&btf;
	attr.btf_size = sizeof(btf);
	attr.btf_log_buf = (unsigned long)log;
	attr.btf_log_size = sizeof(log);
	attr.btf_log_level = 1;
	int fd = syscall(__NR_bpf, BPF_BTF_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		perror("BPF_BTF_LOAD");
	printf("log: %.200s\n", log);
	return 0;
}
