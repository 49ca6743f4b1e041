#!/bin/busybox sh
# shellcheck shell=dash
# /init of the desktop domU (prepare-weston-domu.sh builds its initramfs):
# an unmodified Debian desktop — weston on its DRM backend with the pixman
# renderer (its direct launcher, as root), with systemd-udevd and libinput — on Linux's own
# xen-drm-front (vdispl) and xen-kbdfront (vkb). Nothing of Tessera's runs
# here. Reports on hvc0 (dom0's xenconsoled logs it to
# /var/log/xen/console/guest-NAME.log) as "tessera-domu: ..." lines:
#  - "weston up" once weston's socket exists, "terminal up" once
#    weston-terminal (maximized, its shell weston-term-shell) runs;
#  - the lines of every command typed into that terminal and its output
#    (weston-term-shell);
#  - after each typed command, three screenshots taken in the guest by
#    weston's own screenshooter, 3 s apart, each as
#      tessera-domu: shot-begin N
#      BASE64 LINES OF THE PNG
#      tessera-domu: shot-end N
#    so dom0 can compare what weston drew with what Tessera shows.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
say() { echo "tessera-domu: $*" >/dev/hvc0; }

while read -r name params; do
	[ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
	# shellcheck disable=SC2086 # params are several words on purpose
	insmod "/lib/modules/$name.ko" $params || say "insmod $name failed"
done </etc/modules/xen-pv.load
dmesg -n 1

/lib/systemd/systemd-udevd --daemon --resolve-names=never >/tmp/udevd.log 2>&1 || say "systemd-udevd failed"
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
udevadm settle --timeout=60 || say "udevadm settle timed out"
waited=0
until [ -e /dev/dri/card0 ]; do
	[ $waited -lt 600 ] || {
		say "no /dev/dri/card0 after 300 s"
		break
	}
	sleep 0.5
	waited=$((waited + 1))
done
udevadm settle --timeout=30
say "card: $(ls /dev/dri 2>/dev/null | tr '\n' ' ')input: $(ls /dev/input 2>/dev/null | tr '\n' ' ')"

export XDG_RUNTIME_DIR=/run/user/0 HOME=/root SHELL=/bin/weston-term-shell
mkdir -p "$XDG_RUNTIME_DIR" /root /tmp/shots
chmod 700 "$XDG_RUNTIME_DIR"
# Debian's weston 10 has the logind, weston-launch and direct launchers
# (no libseat): as root, the direct one on the VT given.
weston --tty=2 --backend=drm-backend.so --use-pixman --debug --socket=wayland-0 \
	--config=/etc/weston.ini --log=/tmp/weston.log >/tmp/weston.out 2>&1 &
waited=0
until [ -S "$XDG_RUNTIME_DIR/wayland-0" ]; do
	[ $waited -lt 240 ] || break
	sleep 0.5
	waited=$((waited + 1))
done
if [ -S "$XDG_RUNTIME_DIR/wayland-0" ]; then
	say "weston up"
else
	say "weston did not start:"
	tail -n 20 /tmp/weston.log /tmp/weston.out 2>/dev/null | sed 's/^/tessera-domu: weston: /' >/dev/hvc0
fi
export WAYLAND_DISPLAY=wayland-0
(cd /root && weston-terminal --maximized --shell=/bin/weston-term-shell >/tmp/terminal.log 2>&1) &
sleep 1
say "terminal up"
grep -iE 'output|mode|renderer|input device|keyboard|pointer' /tmp/weston.log | head -n 20 |
	sed 's/^/tessera-domu: weston: /' >/dev/hvc0

shot=0
while :; do
	if [ -e /tmp/shot-request ]; then
		rm -f /tmp/shot-request
		for _ in 1 2 3; do
			sleep 3
			shot=$((shot + 1))
			rm -f /tmp/shots/*.png
			(cd /tmp/shots && weston-screenshooter >/tmp/shooter.log 2>&1)
			file=$(ls /tmp/shots/*.png 2>/dev/null | head -n 1)
			if [ -n "$file" ]; then
				say "shot-begin $shot"
				base64 "$file" >/dev/hvc0
				say "shot-end $shot"
			else
				say "screenshot $shot failed: $(tail -n 2 /tmp/shooter.log)"
			fi
		done
	fi
	sleep 0.5
done
