#!/bin/sh
# ifdown.sh: takes every interface but lo down.
for dev in /sys/class/net/*; do
    [ "${dev##*/}" = lo ] || ip link set "${dev##*/}" down
done
exit 0
