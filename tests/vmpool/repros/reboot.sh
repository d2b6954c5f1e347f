# Resets the machine (QEMU runs with -no-reboot, so it exits): the connection is lost.
reboot -f
