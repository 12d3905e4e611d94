#!/bin/sh
# modules_load.sh: loads every module named in /etc/modules-load.d/*.conf.
for conf in /etc/modules-load.d/*.conf; do
    [ -e "$conf" ] || continue
    grep -v '^#' "$conf" | while read -r module; do
        [ -n "$module" ] && modprobe "$module"
    done
done
exit 0
