#!/bin/sh
# trymount.sh DIR FSTYPE OPTIONS: mounts FSTYPE on DIR when the kernel has
# it, and is content when it has not (as the Pygos helper of that name).
dir=$1 fstype=$2 options=$3
grep -qw "$fstype" /proc/filesystems 2>/dev/null || modprobe -q "fs-$fstype" 2>/dev/null ||
    exit 0
grep -qw "$fstype" /proc/filesystems || exit 0
[ -d "$dir" ] || exit 0
mount -t "$fstype" -o "$options" "$fstype" "$dir" 2>/dev/null || true
