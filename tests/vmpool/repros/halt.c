/* Halts the machine: the kernel stops, QEMU keeps running, the console falls silent. */
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	return reboot(RB_HALT_SYSTEM);
}
