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
#   oh.kdump=debian|fedora   crash boot: load /boot/vmlinuz + /boot/capture.img with
#                            `kexec -p` before the actions (backend may be "none");
#                            capture boot: save /proc/vmcore the way that distribution's
#                            tool lays it out (Debian kdump-tools / Fedora kdump-utils)
#   oh.kdappend=a:b:c        words appended to the capture kernel's command line
#   oh.mode=capture          set by the crash boot on the capture kernel's command line;
#                            the files go to the 9p share tagged "ohout" (var/crash/...,
#                            extra/, capture-listing.txt)
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
	none|"")
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

kdump_load() {
	# The capture kernel's command line is built like kdump-tools' kdump-config
	# does it: this boot's /proc/cmdline without crashkernel= (and hugepages=,
	# hugepagesz=, abm=), plus an append list.  The harness's own crash-boot
	# words are dropped too, and oh.mode=capture added.
	cmd=""
	for w in $(cat /proc/cmdline); do
		case "$w" in
		crashkernel=*|hugepages=*|hugepagesz=*|abm=*) ;;
		oh.mode=*|oh.actions=*|oh.backend=*|oh.args=*|oh.kdappend=*) ;;
		*) cmd="$cmd $w" ;;
		esac
	done
	cmd="${cmd# } oh.mode=capture $(echo "$OH_kdappend" | tr ':' ' ')"
	say "crash kernel region: $(grep -i 'crash kernel' /proc/iomem | tr -s ' ' | tr '\n' ' ')size $(cat /sys/kernel/kexec_crash_size)"
	say "kexec -p /boot/vmlinuz --initrd=/boot/capture.img --command-line=\"$cmd\""
	/usr/sbin/kexec -p /boot/vmlinuz --initrd=/boot/capture.img --command-line="$cmd" \
		|| die "kexec -p failed"
	say "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || die "capture kernel not loaded"
	# the capture kernel and its initramfs are in the reserved region now
	rm -f /boot/vmlinuz /boot/capture.img
}

capture_debian() {
	# Debian kdump-tools (kdump-config kdump_save_core, local directory,
	# defaults: KDUMP_COREDIR=/var/crash, KDUMP_DUMP_DMESG=1,
	# MAKEDUMP_ARGS="-F -c -d 31", no KDUMP_COMPRESSION)
	stamp=$(date +%Y%m%d%H%M)
	d=/out/var/crash/$stamp
	mkdir -p "$d"
	say "capture: makedumpfile --dump-dmesg /proc/vmcore $d/dmesg.$stamp"
	/usr/bin/makedumpfile --dump-dmesg /proc/vmcore "$d/dmesg.$stamp" \
		|| say "ERROR: makedumpfile --dump-dmesg failed"
	sync
	say "capture: makedumpfile -F -c -d 31 /proc/vmcore | cat > $d/dump-incomplete"
	rm -f /tmp/rc
	{ /usr/bin/makedumpfile -F -c -d 31 /proc/vmcore; echo $? > /tmp/rc; } | cat > "$d/dump-incomplete"
	if [ "$(cat /tmp/rc)" = 0 ]; then
		mv "$d/dump-incomplete" "$d/dump.$stamp"
		sync
	else
		say "ERROR: makedumpfile -F -c -d 31 exited $(cat /tmp/rc)"
	fi
	# not part of kdump-tools' layout: the other tool on the same vmcore
	mkdir -p /out/extra
	/usr/sbin/vmcore-dmesg /proc/vmcore > /out/extra/vmcore-dmesg.txt \
		|| say "ERROR: vmcore-dmesg failed"
}

capture_fedora() {
	# Fedora/RHEL kdump-utils (kdump.sh dump_fs + save_vmcore_dmesg_fs +
	# save_log, local path /var/crash, default core_collector
	# "makedumpfile -l --message-level 7 -d 31", HOST_IP 127.0.0.1)
	datedir=$(date +%Y-%m-%d-%T)
	d=/out/var/crash/127.0.0.1-$datedir
	mkdir -p "$d"
	say "capture: vmcore-dmesg /proc/vmcore > $d/vmcore-dmesg-incomplete.txt"
	if /usr/sbin/vmcore-dmesg /proc/vmcore > "$d/vmcore-dmesg-incomplete.txt"; then
		mv "$d/vmcore-dmesg-incomplete.txt" "$d/vmcore-dmesg.txt"
		chmod 600 "$d/vmcore-dmesg.txt"
		sync
	else
		chmod 600 "$d/vmcore-dmesg-incomplete.txt"
		say "ERROR: vmcore-dmesg failed"
	fi
	say "capture: makedumpfile -l --message-level 7 -d 31 /proc/vmcore $d/vmcore-incomplete"
	if /usr/bin/makedumpfile -l --message-level 7 -d 31 /proc/vmcore "$d/vmcore-incomplete"; then
		sync
		mv "$d/vmcore-incomplete" "$d/vmcore"
	else
		say "ERROR: makedumpfile -l failed"
	fi
	say "capture: dmesg -T > /run/initramfs/kexec-dmesg.log, moved to $d/"
	mkdir -p /run/initramfs
	/usr/bin/dmesg -T > /run/initramfs/kexec-dmesg.log
	chmod 600 /run/initramfs/kexec-dmesg.log
	mv /run/initramfs/kexec-dmesg.log "$d/"
	# not part of kdump-utils' layout: the other tool on the same vmcore
	mkdir -p /out/extra
	/usr/bin/makedumpfile --dump-dmesg /proc/vmcore /out/extra/makedumpfile-dump-dmesg.txt \
		|| say "ERROR: makedumpfile --dump-dmesg failed"
}

if [ "$OH_mode" = capture ]; then
	say "capture kernel: $(uname -r), vmcore $(stat -c %s /proc/vmcore 2>/dev/null) bytes"
	[ -e /proc/vmcore ] || die "no /proc/vmcore"
	load_list 9p
	mkdir -p /out
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ohout /out || die "mount 9p failed"
	case "$OH_kdump" in
	debian) capture_debian ;;
	fedora) capture_fedora ;;
	*) die "unknown oh.kdump=$OH_kdump" ;;
	esac
	find /out/var /out/extra -exec stat -c "%s %a %Y %y %n" {} \; > /out/capture-listing.txt 2>&1
	sync
	umount /out
	say "capture done"
	poweroff -f
	sleep 30
fi

if [ "$OH_mode" = crash ]; then
	setup_backend
	[ -n "$OH_kdump" ] && kdump_load
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
