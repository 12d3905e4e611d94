#!/bin/sh
# ifrename.sh: renames interfaces after /etc/netcfg/ifrename (lines of
# `MAC NAME`). The guest's one card is eth0 already: nothing to do.
[ -e /etc/netcfg/ifrename ] || exit 0
while read -r mac name; do
    for dev in /sys/class/net/*; do
        [ "$(cat "$dev/address")" = "$mac" ] && ip link set "${dev##*/}" name "$name"
    done
done </etc/netcfg/ifrename
exit 0
