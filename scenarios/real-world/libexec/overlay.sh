#!/bin/sh
# overlay.sh NAME DIR: Pygos keeps DIR on a writable overlay whose upper
# layer lives under /cfg/overlay/NAME. Here: the layer's files (seeded in
# the image) are copied into DIR, which is made a mount point, so that the
# shutdown's `unmount` finds it mounted as on Pygos.
name=$1 dir=$2
mkdir -p "$dir"
[ -d "/cfg/preset/$name" ] && cp -a "/cfg/preset/$name/." "$dir/"
mount --bind "$dir" "$dir"
