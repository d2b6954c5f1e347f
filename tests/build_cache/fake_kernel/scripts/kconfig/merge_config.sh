#!/bin/sh
# Stand-in for the kernel's merge_config.sh -m -O DIR BASE FRAGMENT: append, later lines win.
[ "$1" = -m ] && [ "$2" = -O ] || { echo "usage: $0 -m -O dir base fragment" >&2; exit 2; }
cat "$4" "$5" > "$3/.config.merged" && mv "$3/.config.merged" "$3/.config"
