# Print what the guest kernel knows about its CPUs (the SMP test reads reproducer.out).
echo "online=$(cat /sys/devices/system/cpu/online)"
echo "processors=$(grep -c ^processor /proc/cpuinfo)"
