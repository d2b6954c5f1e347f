/* Crashes any kernel deterministically: makes PID 1 call exit_group(7) through
 * ptrace, so the kernel panics with "Attempted to kill init!". */
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

int main(void)
{
	/* mov edi, 7; mov eax, 231 (exit_group); syscall; then padding */
	static const unsigned char code[16] = {
		0xbf, 7, 0, 0, 0, 0xb8, 231, 0, 0, 0, 0x0f, 0x05, 0x90, 0x90, 0x90, 0x90,
	};
	struct user_regs_struct regs;

	if (ptrace(PTRACE_ATTACH, 1, 0, 0)) {
		perror("PTRACE_ATTACH");
		return 1;
	}
	waitpid(1, NULL, __WALL);
	if (ptrace(PTRACE_GETREGS, 1, 0, &regs)) {
		perror("PTRACE_GETREGS");
		return 1;
	}
	for (int i = 0; i < (int)sizeof(code); i += 8) {
		long word;

		memcpy(&word, code + i, sizeof(word));
		ptrace(PTRACE_POKETEXT, 1, (void *)(regs.rip + i), (void *)word);
	}
	regs.orig_rax = -1; /* no syscall restart: run the new code as is */
	ptrace(PTRACE_SETREGS, 1, 0, &regs);
	ptrace(PTRACE_DETACH, 1, 0, 0);
	return 0;
}
