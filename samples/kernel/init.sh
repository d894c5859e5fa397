#!/bin/busybox sh
# /init of the oops-harvest initramfs.  Everything it does is chosen by
# words on the kernel command line (read from /proc/cmdline):
#
#   oh.mode=crash|export     crash boot (provoke dumps) or export boot
#   oh.backend=ramoops|mtdoops|efi
#   oh.args=k=v:k=v          module parameters for ramoops / mtdoops (':' separated)
#   oh.b2m=/dev/vda,4096     block2mtd device and erase size (mtdoops)
#   oh.actions=a,b,c         crash boot: comma separated actions, in order:
#                              oopsN   insmod /lib/modules/oops/oopsN.ko (NULL deref in init)
#                              panic   echo c > /proc/sysrq-trigger
#                              poweroff / reboot   sync, then poweroff -f / reboot -f
#                              pmsg    write a few lines to /dev/pmsg0 (if present)
#                              ftrace  echo 1 > /sys/kernel/debug/pstore/record_ftrace (if present)
#                              sleepN  sleep N seconds
#   oh.out=/dev/vdX          export boot: block device that receives a tar of the results
#
# Module lists (dependency order, one .ko per line) are in /lib/modules/lists/.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp

say() {
	# into the kernel log, so it shows on the console and inside the dumps
	echo "oops-harvest: $*" > /dev/kmsg
}

die() {
	say "ERROR: $*"
	sync
	poweroff -f
	sleep 10
}

for w in $(cat /proc/cmdline); do
	case "$w" in
	oh.*=*)
		k=${w%%=*}; k=${k#oh.}; v=${w#*=}
		eval "OH_$k=\$v"
		;;
	esac
done

say "init: mode=$OH_mode backend=$OH_backend args=$OH_args actions=$OH_actions"

load_list() { # load_list NAME [extra args for the last module]
	list=/lib/modules/lists/$1
	[ -f "$list" ] || return 0
	shift
	n=$(wc -l < "$list")
	i=0
	while read -r ko; do
		i=$((i + 1))
		if [ -d "/sys/module/${ko%.ko}" ] && [ "$i" -ne "$n" ]; then
			continue  # a dependency that is already loaded
		fi
		if [ "$i" -eq "$n" ]; then
			insmod "/lib/modules/$ko" "$@" || die "insmod $ko $* failed"
		else
			insmod "/lib/modules/$ko" || die "insmod $ko failed"
		fi
		say "loaded $ko"
	done < "$list"
}

wait_blk() { # wait_blk /dev/vdX
	t=0
	while [ ! -b "$1" ]; do
		sleep 0.2
		t=$((t + 1))
		[ "$t" -gt 150 ] && die "block device $1 did not appear"
	done
}

setup_backend() {
	case "$OH_backend" in
	ramoops)
		load_list ramoops $(echo "$OH_args" | tr ':' ' ')
		;;
	mtdoops)
		load_list virtio
		dev=${OH_b2m%%,*}
		wait_blk "$dev"
		load_list block2mtd "block2mtd=$OH_b2m"
		load_list mtdoops $(echo "$OH_args" | tr ':' ' ')
		;;
	efi)
		load_list efivarfs
		mkdir -p /sys/firmware/efi/efivars
		mount -t efivarfs efivarfs /sys/firmware/efi/efivars || die "mount efivarfs failed"
		if [ "$OH_mode" = export ]; then
			# copy the raw variables before the pstore backend touches anything
			mkdir -p /tmp/x/efivars
			for f in /sys/firmware/efi/efivars/dump-*; do
				[ -e "$f" ] && cp -p "$f" /tmp/x/efivars/
			done
		fi
		load_list efi_pstore
		;;
	*)
		die "unknown backend $OH_backend"
		;;
	esac
}

mkdir -p /sys/fs/pstore
mount -t pstore pstore /sys/fs/pstore || say "mount pstore failed"

if [ "$OH_mode" = crash ]; then
	setup_backend
	say "pstore before crashing: $(ls /sys/fs/pstore | tr '\n' ' ')"
	for a in $(echo "$OH_actions" | tr ',' ' '); do
		say "action $a"
		case "$a" in
		oops*)
			# the loading process is killed by the Oops; the kernel goes on.
			# initmod uses init_module(2), not finit_module(2): see initmod.c
			initmod "/lib/modules/oops/$a.ko"
			sleep 1
			;;
		panic)
			sync
			echo c > /proc/sysrq-trigger
			sleep 30
			;;
		poweroff)
			sync; sleep 1; sync
			poweroff -f
			sleep 30
			;;
		reboot)
			sync; sleep 1; sync
			reboot -f
			sleep 30
			;;
		pmsg)
			if [ -c /dev/pmsg0 ]; then
				printf 'hello from pmsg\nsecond pmsg line\nthird pmsg line: oops-harvest\n' > /dev/pmsg0
			else
				say "no /dev/pmsg0 (CONFIG_PSTORE_PMSG not set?)"
			fi
			;;
		ftrace)
			mkdir -p /sys/kernel/debug
			mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
			if [ -e /sys/kernel/debug/pstore/record_ftrace ]; then
				echo 1 > /sys/kernel/debug/pstore/record_ftrace
			else
				say "no record_ftrace (CONFIG_PSTORE_FTRACE not set?)"
			fi
			;;
		sleep*)
			sleep "${a#sleep}"
			;;
		*)
			say "unknown action $a"
			;;
		esac
	done
	say "actions done, powering off"
	sync; sleep 1; sync
	poweroff -f
	sleep 30
fi

if [ "$OH_mode" = export ]; then
	mkdir -p /tmp/x/pstore
	setup_backend
	sleep 1
	for f in /sys/fs/pstore/*; do
		[ -e "$f" ] && cp -p "$f" /tmp/x/pstore/
	done
	stat -c "%s %Y %y %n" /sys/fs/pstore/* > /tmp/x/pstore-listing.txt 2>&1
	[ -d /tmp/x/efivars ] && stat -c "%s %Y %y %n" /sys/firmware/efi/efivars/dump-* > /tmp/x/efivars-listing.txt 2>&1
	say "exporting: $(ls /tmp/x/pstore | tr '\n' ' ')"
	load_list virtio
	wait_blk "$OH_out"
	cd /tmp/x && tar cf "$OH_out" . || die "tar to $OH_out failed"
	cd /
	sync
	say "export done"
	poweroff -f
	sleep 30
fi

die "no oh.mode given"
