// Reproducer for "UBSAN: shift-out-of-bounds in vhci_hub_control".
//
// The USB/IP virtual host controller's root hub handles a ClearPortFeature
// request with an unknown feature by clearing bit `wValue` of the port
// status: `port_status &= ~(1 << wValue)`. The buggy version does not check
// wValue, so feature 40 shifts a 32-bit int by 40.
//
// usbfs lets root send any control request to a root hub: USBDEVFS_CONTROL
// on the vhci's root hub (/dev/bus/usb/00N/001) with a class request to a
// port (bmRequestType 0x23), CLEAR_FEATURE, wValue 40, port 1 reaches
// vhci_hub_control() directly. Deterministic.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int tried = 0;

	for (int bus = 1; bus <= 4; bus++) {
		char path[64];
		struct usbdevfs_ctrltransfer ctrl = {
			.bRequestType = 0x23, /* USB_DIR_OUT | USB_TYPE_CLASS | USB_RECIP_OTHER */
			.bRequest = 1,	      /* USB_REQ_CLEAR_FEATURE */
			.wValue = 40,	      /* no such port feature */
			.wIndex = 1,	      /* port 1 */
			.wLength = 0,
			.timeout = 1000,
			.data = NULL,
		};

		snprintf(path, sizeof(path), "/dev/bus/usb/%03d/001", bus);
		int fd = open(path, O_RDWR);

		if (fd < 0)
			continue;
		tried++;
		int ret = ioctl(fd, USBDEVFS_CONTROL, &ctrl);

		printf("%s: ClearPortFeature(40) -> %d\n", path, ret);
		close(fd);
	}
	if (!tried) {
		fprintf(stderr, "no USB root hub under /dev/bus/usb\n");
		return 1;
	}
	return 0;
}
