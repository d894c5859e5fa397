"""Issue 19, second round: culprits by role and by rule, each shown on a
real log that has the form (syzkaller's even-numbered report testdata,
tests/data/realworld, and the logs of tests/data/roles, sources in its
NOTICE).  Where a rule needs a contrast that no real log shows, a small
excerpt in the kernel's own format says so in its docstring."""

import os

import pytest

from benchmarks import analysis as bench
from harvester.crash import analysis
from harvester.crash.frames import Frame
from harvester.crash.rust import demangle

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "roles")


def _dev(number, reason=None):
    case = bench.load(number)
    return analysis.analyse(case.log, reason), case.title


def _realworld(name):
    case = bench.load(name, bench.REALWORLD)
    return analysis.analyse(case.log, "Oops"), case.title


def _realworld4(name):
    case = bench.load(name, bench.REALWORLD4)
    return analysis.analyse(case.log), case.title


def _roles(name, reason=None):
    case = bench.load(name, ROLES)
    return analysis.analyse(case.log, reason), case.title


# --- Rust panics ----------------------------------------------------------

@pytest.mark.parametrize("mangled,readable", [
    # names from syzkaller's report 748 (rust_binder, a 6.x kernel)
    ("_RNvMs3_NtCshgDM7dBCdno_11rust_binder7processNtB5_7Process10update_ref",
     "<rust_binder::process::Process>::update_ref"),
    ("_RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind",
     "__rustc::rust_begin_unwind"),
    ("_RNvNtNtCs9jEwPDbx20M_4core9panicking11panic_const24panic_const_sub_"
     "overflow", "core::panicking::panic_const::panic_const_sub_overflow"),
    ("_RNvXs1b_NtCs9jEwPDbx20M_4core3fmtRNtNtNtB8_5panic10panic_info9Panic"
     "InfoNtB6_7Display3fmtCs43vyB533jt3_6kernel",
     "<&core::panic::panic_info::PanicInfo as core::fmt::Display>::fmt"),
    ("_RNvCshgDM7dBCdno_11rust_binder26rust_binder_unlocked_ioctl",
     "rust_binder::rust_binder_unlocked_ioctl"),
    # not v0, or broken: left as they are (a back-reference onto itself
    # or forwards would never end)
    ("rust_helper_BUG", "rust_helper_BUG"),
    ("_RNvB0_1a", "_RNvB0_1a"), ("_RNvNtB9_1a1b", "_RNvNtB9_1a1b"),
    ("_RNv", "_RNv"), ("_R" + "N" * 2000, "_R" + "N" * 2000),
])
def test_rust_names_are_demangled(mangled, readable):
    assert demangle(mangled) == readable


def test_a_rust_panic_is_titled_by_its_message_and_the_panicking_function():
    """rust/kernel's panic handler prints "panicked at file:line:col:" and
    the message on the next line, then BUG()s: syzbot titles it "<message>
    in <first frame past the panic machinery>"."""
    result, title = _dev(748, "Oops")
    assert result.title == title == ("attempt to subtract with overflow in "
                                     "<rust_binder::process::Process>::"
                                     "update_ref")
    assert result.kind == "rust-panic"


def test_a_rust_panic_of_the_old_form_quotes_its_message():
    """Before Rust 1.73 the message was quoted on the panic line itself:
    "panicked at 'msg', file:line:col" (the same handler)."""
    log = ("rust_kernel: panicked at 'called `Option::unwrap()` on a `None` "
           "value', drivers/net/x.rs:86:54\n"
           "------------[ cut here ]------------\n"
           "kernel BUG at rust/helpers.c:48!\n"
           "Internal error: Oops - BUG: 00000000f2000800 [#1] PREEMPT SMP\n"
           "pc : rust_helper_BUG+0x4/0x8\nCall trace:\n"
           " rust_helper_BUG+0x4/0x8\n"
           " _RNvNtCs3yuwAp0waWO_4core9panicking9panic_fmt+0x34/0x38\n"
           " _RNvNtCs3yuwAp0waWO_4core9panicking5panic+0x38/0x3c\n"
           " _RNvXs2_CsejK4Ne9WL8c_15e1000_for_linuxNtB5_6PollerNtNtCsfATHBUc"
           "knU9_6kernel3net10NapiPoller4poll+0x560/0x564 [e1000_for_linux]\n"
           " __napi_poll+0x48/0x1cc\n")
    result = analysis.analyse(log, "Oops")
    assert result.title == (
        "called `Option::unwrap()` on a `None` value in "
        "<e1000_for_linux::Poller as kernel::net::NapiPoller>::poll "
        "[e1000_for_linux]")


# --- powerpc die() reasons --------------------------------------------------

@pytest.mark.parametrize("name", ["powerpc-bad-area-compress_file_range",
                                  "powerpc-illegal-insn-__run_one"])
def test_powerpc_oops_keeps_the_reason_die_gives(name):
    """arch/powerpc/kernel/traps.c: "Oops: <reason>, sig: N [#M]"; the
    reason is the kind ("Kernel access of bad area", "Exception in kernel
    mode"), the culprit the NIP as ever."""
    result, title = _realworld(name)
    assert bench.title_equal(result.title, title), result.title


# --- helpers skipped by role, every skip anchored -----------------------------

def test_a_subsystems_own_wait_names_what_a_hung_task_waits_for():
    """Generic waits (schedule, wait_for_completion, wait_on_bit, the page
    cache's fdatawait) are passed over; a journal's own wait is what the
    task is stuck on and is named (no unanchored "wait" substring).  The
    comm holds a space ("FwgThread OpFor"), as a thread name may."""
    result, title = _roles("x86_64-hung-space-comm-jbd2_log_wait_commit")
    assert bench.title_equal(result.title, title), result.title


@pytest.mark.parametrize("number", [
    70,     # __filemap_fdatawait_range, fdatawait_one_bdev: page-cache waits
    166,    # bpf_prog_array_copy_to_user: a copy helper, by its last words
    426,    # dpm_sysfs_remove: sysfs teardown
    664,    # reiserfs_write_lock: a lock wrapper, by its last words
    690,    # simple_copy_to_iter: a copy callback
    726,    # __page_pool_alloc_pages_slow: the network page pool allocates
])
def test_anchored_skips_still_pass_helpers_over_by_role(number):
    """Anchoring every skip at a word boundary keeps what syzbot's broad
    substrings passed over where the name says its role."""
    result, title = _dev(number, "Oops")
    assert bench.title_equal(result.title, title), result.title


@pytest.mark.parametrize("func,helper", [
    # names from real traces of the dev set: a helper by role ...
    ("nla_memcpy", True), ("sized_strscpy", True), ("mempool_kmalloc", True),
    ("rcu_lock_acquire", True), ("trace_lock_acquire", True),
    ("handle_invalid_op", True), ("__exc_invalid_op", True),
    ("show_trace_log_lvl", True), ("__pfx_rtnl_newlink", True),
    ("cancel_delayed_work_sync", True), ("perf_trace_sched_switch", True),
    ("__get_user_4", True), ("_raw_spin_lock_irqsave", True),
    # ... and real code an unanchored substring used to cut
    ("tun_get_user", False), ("ntfs_read_locked_inode", False),
    ("__put_user_ns", False), ("get_user_pages_remote", False),
    ("slab_attr_store", False), ("tcp_sendmsg_locked", False),
])
def test_helper_skips_are_anchored(func, helper):
    assert analysis._skipped(Frame(func)) is helper


@pytest.mark.parametrize("func,waits", [
    ("schedule_timeout", True), ("io_schedule", True),
    ("out_of_line_wait_on_bit", True), ("prepare_to_swait_event", True),
    ("__filemap_fdatawait_range", True), ("rwsem_down_read_slowpath", True),
    ("ocf_hb_req_prot_lock_rd", True), ("msleep_interruptible", True),
    ("ktime_get", True), ("read_tsc", True), ("wake_atomic_t_function", True),
    ("autoremove_wake_function", True), ("wake_up_process", False),
    ("jbd2_log_wait_commit", False), ("btrfs_wait_for_commit", False),
    ("sctp_wait_for_sndbuf", False), ("tcp_sendmsg_locked", False),
    ("blk_mq_sched_dispatch_requests", False), ("iget5_locked", False),
])
def test_hung_task_waits_are_anchored(func, waits):
    """A blocked task's frames that only wait (kernel/sched/, wait.h,
    completions, lock slow paths and wrappers) against code that says
    what it waits for or merely holds "sched", "wait" or "_lock" inside
    its name (names from real traces)."""
    assert bool(analysis._HUNG_SKIP.search(Frame(func).func)) is waits


# --- die() headers of other architectures ------------------------------------

def test_an_s390_die_header_names_its_reason():
    """s390's die() prints "<reason>: <code> [ilc:N ][#M]"; any reason the
    table has no kind for is the title's kind, the PSW's function its
    culprit (Red Hat's own wording for this crash: "Unknown program
    exception: 0028 in cpu_relax()")."""
    result, title = _roles("s390-die-unknown-program-exception-cpu_relax",
                           "Oops")
    assert result.title == title
    assert result.comm == "Thread-44"


# --- stalls: the stalled code, never the detector's path ---------------------

def test_a_pre_3_x_rcu_stall_header_is_a_stall():
    """2.6.3x-3.x printed "INFO: rcu_sched_state detected stall(s)"
    (openzfs/zfs issue #557 quotes these lines)."""
    for line in ("INFO: rcu_sched_state detected stall on CPU 0 "
                 "(t=105060 jiffies)",
                 "INFO: rcu_sched_state detected stalls on CPUs/tasks: { 2} "
                 "(detected by 7, t=15002 jiffies)"):
        result = analysis.analyse("[ 3556.510903] %s\n" % line, None)
        assert result.kind == "rcu-stall", line


def test_a_powerpc_watchdog_hard_lockup_is_a_lockup():
    """arch/powerpc/kernel/watchdog.c: the CPU that notices says "Watchdog
    CPU:71 detected Hard LOCKUP other CPUS:42", the stuck one "Watchdog
    CPU:42 Hard LOCKUP" before its registers (lines quoted in
    open-power/op-build issue #2035)."""
    log = ("[ 2020.139747] Watchdog CPU:71 detected Hard LOCKUP other CPUS:42\n"
           "[ 2020.139931] Watchdog CPU:42 Hard LOCKUP\n"
           "[ 2020.139965] CPU: 42 PID: 3391 Comm: a.out Not tainted "
           "4.15.0-15-generic #16-Ubuntu\n"
           "[ 2020.139967] NIP:  c0000000001d5364 LR: c0000000001d5340 "
           "CTR: c000000000acd200\n")
    result = analysis.analyse(log, None)
    assert result.kind == "hard-lockup" and result.comm == "a.out"


def test_a_powerpc_soft_lockup_names_what_the_timer_interrupted():
    """powerpc prints the whole stack from the watchdog's timer: the part
    above "--- interrupt: 901" (the decrementer) is the detector's path,
    what follows the stalled code, named by the frame before its
    dispatcher (kthread).  The header and the trace lines are quoted in
    open-power/skiboot issue #136 (the trace from a later occurrence in
    the same thread; its frames above irq_exit are not quoted)."""
    log = ("[   32.107804] NMI watchdog: BUG: soft lockup - CPU#113 stuck for "
           "22s! [kopald:854]\n"
           "[  335.728079] [c000000ff4a0b9f0] [c00000000006efe0] irq_exit+0x88/0xe0\n"
           "[  335.728081] [c000000ff4a0ba10] [c000000000019334] "
           "timer_interrupt+0xac/0xc0\n"
           "[  335.728083] [c000000ff4a0ba40] [c00000000000b864] "
           "fast_exception_return+0x128/0x150\n"
           "[  335.728087] --- interrupt: 901 at _restgpr0_31+0x0/0xba38\n"
           "[  335.728087]     LR = irq_work_queue+0x74/0xa4\n"
           "[  335.728089] [c000000ff4a0bd30] [c00000000004b204] "
           "opal_handle_events+0x54/0xa8 (unreliable)\n"
           "[  335.728091] [c000000ff4a0bd80] [c00000000004755c] kopald+0x44/0x70\n"
           "[  335.728093] [c000000ff4a0bdc0] [c0000000000880b4] kthread+0x150/0x158\n"
           "[  335.728096] [c000000ff4a0be30] [c00000000000b464] "
           "ret_from_kernel_thread+0x5c/0x78\n")
    assert analysis.analyse(log, None).title == "BUG: soft lockup in kopald"


@pytest.mark.parametrize("name", [
    # the stalled CPU's own dump ("CPU: 8", show_regs and its trace)
    # follows another CPU's task dump; its PSW spins below the scheduler
    "s390-rcu-self-detected-after-other-cpu-finish_arch_post_lock_switch",
    # a boot stall: the initcall do_one_initcall runs, as the work item
    # process_one_work runs (the reply quotes the log with "> ")
    "s390-quoted-rcu-initcall-channel_subsystem_init",
    # the expedited report's task dump shows no symbol; the self-detected
    # report of the same stall that follows names the code
    "s390-rcu-expedited-then-self-detected-kvm_vm_release",
    # idle CPUs whose dumps show no symbol: no culprit, never the RCU
    # grace-period kthread's own trace
    "s390-rcu-idle-cpus-kthread-starved",
])
def test_s390_rcu_stalls_name_the_stalled_code(name):
    """s390 prints "Krnl PSW : ... (f+off/size)", frames as " [<addr>]
    f+off/size" ("([<addr>] f)" for the uncertain one) and ends with
    "Last Breaking-Event-Address:" (real reports from the linux-s390
    list, tests/data/roles/NOTICE)."""
    result, title = _roles(name)
    assert bench.title_equal(result.title, title), result.title


def test_a_stall_told_again_keeps_the_task():
    result, _ = _roles("s390-rcu-expedited-then-self-detected-kvm_vm_release")
    assert result.comm == "qemu-system-s39"
    assert "self-detected" in result.headline


# --- lockdep: the acquisition site and the backtrace only --------------------

def test_lockdep_names_the_acquisition_site_not_the_lock_held():
    """Both lines say "at: f": the lock being taken (io_worker_cancel_cb)
    is the culprit, the lock already held (io_wq_worker_sleeping, also in
    the "locks held" list) is not (syzbot's report quoted in a kernel
    commit message)."""
    result, title = _roles("x86_64-lockdep-recursive-io_worker_cancel_cb")
    assert result.title == title


@pytest.mark.parametrize("name", [
    # "at: ni_lock [inline]" then "at: ntfs_set_size+0x113": ni_lock only
    # takes the lock, the function it is inlined in is the site
    "x86_64-nested-lock-inline-wrapper-ntfs_set_size",
    # "at: spin_lock [inline]", "at: inode_sb_list_del [inline]", "at:
    # evict+0x161": the spin_lock is in inode_sb_list_del, no wrapper
    "x86_64-nested-lock-inline-inode_sb_list_del",
])
def test_lockdep_passes_over_an_inline_lock_wrapper_only(name):
    """syzbot's "WARNING: Nested lock was not taken" reports (lockdep then
    faults printing the nest lock); decode_stacktrace.sh gives one "at:"
    line per inlined function of the acquisition site."""
    result, title = _roles(name)
    assert result.title == title
    assert result.comm.startswith("syz-executor.")


def test_a_cut_irq_lock_order_report_falls_back_to_the_acquisition_site():
    """A SOFTIRQ-safe -> SOFTIRQ-unsafe report cut after its acquisition
    line (syzkaller's report 30): no "became safe" trace to read, so the
    lock being taken names it, as syzbot does."""
    result, title = _dev(30)
    assert result.title == title


@pytest.mark.parametrize("number", [558, 560])
def test_an_irq_lock_order_report_names_where_the_lock_became_irq_safe(number):
    """The complete report: the first trace ("... which became
    HARDIRQ-irq-safe at:") is the culprit, not the acquisition site."""
    result, title = _dev(number)
    assert result.title == title


def test_lockdep_running_out_of_a_table_is_the_bug():
    """"BUG: MAX_STACK_TRACE_ENTRIES too low!": where lockdep was when it
    ran out names nothing (syzkaller's report 404)."""
    result, title = _dev(404)
    assert result.title == title


# --- logs of no known kind --------------------------------------------------

def test_an_unrecognised_log_is_not_titled_by_boot_noise():
    """A dump's log ends where the kernel stopped; boot noise is at its
    start.  Of a real HiSilicon console holding no crash of a known kind,
    the title is its last failure (31 s in), not the first boot error
    (an RPMB open at 10 s); a line naming a crash wins over both."""
    path = os.path.join(os.path.dirname(ROLES), "consoles",
                        "hisilicon-kirin-2.console-ramoops")
    with open(path, "rb") as f:
        log = f.read()
    result = analysis.analyse(b"Oops#1 Part1\n" + log, "Oops")
    assert result.kind == "unrecognised"
    assert result.headline.startswith("create om dir failed!")
    crashed = log + b"[   32.000000s][pid:1,cpu0,init]Unhandled exception in mydrv\n"
    result = analysis.analyse(b"Oops#1 Part1\n" + crashed, "Oops")
    assert result.headline == "Unhandled exception in mydrv"


def test_advice_and_user_segfaults_are_no_kernel_error():
    """A mitigation notice pointing at a web page and a user program's
    segfault (show_signal_msg) use error words but are no kernel error
    (lines from syzkaller's reports 710 and 620)."""
    for line in ("Speculative Return Stack Overflow: WARNING: See "
                 "https://kernel.org/doc/html/latest/admin-guide/hw-vuln/"
                 "srso.html for mitigation options.",
                 "syz-executor846[10579]: segfault at 4cb420 ip "
                 "00000000004cb420 sp 00007f27fd37a250 error 15 in "
                 "syz-executor846382544[4c9000+3000]"):
        result = analysis.analyse("Oops#1 Part1\n%s\n" % line, "Oops")
        assert result.headline is None, line


# --- the task and kernel of the CPU: line -------------------------------------

@pytest.mark.parametrize("name,comm,release", [
    # Samsung adds "FTT: 0 0" after the comm
    ("samsung-exynos990.last_kmsg", "kworker/0:1", "4.19.87-ExtremeKernel-v4.5"),
    ("samsung-sm7125.last_kmsg", "proxy-server-po",
     "4.19.113-Prime+-52493-ga2c90d9a0a16"),
])
def test_a_vendor_field_after_the_comm_keeps_task_and_kernel(name, comm,
                                                            release):
    path = os.path.join(os.path.dirname(ROLES), "consoles", name)
    with open(path, "rb") as f:
        result = analysis.analyse(f.read(), "Panic")
    assert (result.comm, result.release) == (comm, release)


@pytest.mark.parametrize("line,comm", [
    # a comm with spaces (and Samsung's field), from samsung-bitrot
    ("CPU: 7 PID: 6317 Comm: POSIX timer 17 FTT: 0 0 Tainted: G S    D W"
     "         4.19.113~Windstation+ #1", "POSIX timer 17"),
    # brackets in a comm (the kernel prints it raw)
    ("CPU: 0 PID: 1 Comm: [my] task Not tainted 6.1.0-13-amd64 #1 Debian "
     "6.1.55-1", "[my] task"),
    # syzbot's kernels call their release "syzkaller" (report 754): the
    # task is still known
    ("CPU: 1 UID: 0 PID: 6051 Comm: syz.3.20 Not tainted syzkaller #0 "
     "PREEMPT(full) ", "syz.3.20"),
])
def test_odd_comms_and_releases_keep_the_task(line, comm):
    result = analysis.analyse("BUG: kernel NULL pointer dereference, address: "
                              "0000000000000008\n%s\n" % line, None)
    assert result.comm == comm


@pytest.mark.parametrize("number,task", [
    (430, "syz-executor.6"),    # the report's first CPU: line is another
                                # task's ("rs:main Q:Reg"), then khungtaskd's
    (432, "kworker/u4:5"),      # khungtaskd's NMI backtrace
    (254, "init"),
    (138, "syz-executor1"),     # no CPU: line at all
])
def test_a_hung_task_is_the_task_its_header_names(number, task):
    """"INFO: task <comm>:<pid> blocked ...": the CPU: lines of a hung-task
    report are khungtaskd's and other CPUs' backtraces, never the blocked
    task's (syzkaller's reports; a comm may hold ":", as kworker/u4:5)."""
    result, _ = _dev(number)
    assert result.comm == task


def test_a_comm_holding_a_newline_is_joined():
    """The comm is printed raw ("%s"): a newline in it puts the rest of
    the CPU: line on the next line (kernel/printk's dump_stack_print_info;
    the same comm splits the hung-task header, see test_crash_analysis)."""
    log = ("BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
           "CPU: 0 PID: 1 Comm: my\nworker Not tainted 6.1.0-13-amd64 #1 "
           "Debian 6.1.55-1\nRIP: 0010:mydrv_read+0x1/0x2\n")
    result = analysis.analyse(log, None)
    assert (result.comm, result.release) == ("my worker", "6.1.0-13-amd64")


# --- stack overflows ---------------------------------------------------------

def test_a_whole_overflow_trace_names_what_the_task_was_doing():
    """syzkaller's report 630: tls_setsockopt recursing into itself 150
    times under setsockopt: the frame before the socket-option dispatcher
    (__sys_setsockopt hands an option to the protocol's own handler)."""
    result, title = _dev(630)
    assert result.title == title


def test_a_cut_overflow_trace_names_the_recursing_function():
    """syzkaller's report 614: the bonding notifier cycle fills the 400
    lines a report keeps, so the dispatcher (rtnetlink_rcv_msg, whose
    caller syzbot names) is cut off: the function that recurses is named,
    never the frame that hit the guard (netdev_next_lower_dev_rcu) nor the
    last one shown."""
    result, _ = _dev(614)
    assert result.function == "__netdev_update_features"


# --- pasted logs ----------------------------------------------------------

def test_a_journal_paste_loses_its_date_host_and_kernel_prefix():
    """journalctl and syslog put "<date> <host> kernel: " before every
    kernel line (here with a Russian month name): removed, the report is
    read as the kernel printed it."""
    result, title = _roles("x86_64-journal-list_del-__dentry_kill")
    assert result.title == title
    assert (result.comm, result.release) == ("kswapd0", "5.13.4-200.fc34.x86_64")


@pytest.mark.parametrize("quote", ["> ", ">> ", "> > ", "    ", "\t"])
def test_every_real_world_log_reads_the_same_quoted_or_indented(quote):
    """The real-world logs were posted in mail, quoted, and unquoted for
    the set (tests/data/realworld/NOTICE): quoted or indented again, each
    gets the title it gets as it is."""
    for name in bench.realworld_names():
        log = bench.load(name, bench.REALWORLD).log.decode("utf-8", "replace")
        quoted = "".join(quote + line + "\n" for line in log.splitlines())
        assert analysis.analyse(quoted, "Oops").title == \
            analysis.analyse(log, "Oops").title, name


# --- syzbot's special titles on real logs ------------------------------------

@pytest.mark.parametrize("name", ["arm32-3.10-proc-registration-vchiq_open",
                                  "arm32-3.10-proc-registration-vfp_init"])
def test_proc_registration_names_the_registering_driver(name):
    """A WARN() in fs/proc/generic.c (a name registered twice, a bad name)
    is the caller's bug: every function of the proc registration API is
    passed over (here __xlate_proc_name too), in 3.10's "WARNING: at
    file:line f()" form and arm32's "(f) from (g)" backtrace; the file's
    path may carry a vendor tree's "../../" prefix."""
    result, title = _roles(name)
    assert result.title == title


@pytest.mark.parametrize("number", [
    122, 398,       # "kernel BUG at mm/usercopy.c": BUG: bad usercopy
    428, 750,       # KCSAN: one function or two; "assert: race"
    548, 554,       # arm32 "Unhandled fault:" headers
    # 6.19's "WARNING: file:line at f+off, CPU#N: comm/pid": the site, a
    # helper's site passed over (fast_dput, mark_buffer_dirty), "at 0x0"
    # (no symbol: the trace names it)
    744, 754, 756, 758,
])
def test_special_titles_on_real_reports(number):
    result, title = _dev(number)
    assert result.title == title


# --- forms of the fourth real-world set (tests/data/realworld4) ---------------

@pytest.mark.parametrize("name", [
    "arm32-logcat-prefix-sched-atomic-regulator_disable",
    "arm32-vendor-prefix-repeated-sched-atomic-cpu_idle"])
def test_android_vendor_prefixes_leave_the_backtrace_readable(name):
    """A log collector's date, Unisoc's "c1 " and Broadcom's "C1 [ comm]"
    after the timestamp go: arm32's "(f) from (caller)" frames are read
    and the sleeping caller past the scheduler and mutex is named."""
    result, title = _realworld4(name)
    assert bench.title_equal(result.title, title), result.title


def test_a_2_6_eip_is_at_line_names_the_faulting_function():
    """i386 2.6 prints "EIP is at f+0x/0x" on a line of its own (the
    "EIP:" line holds only the address)."""
    result, title = _realworld4(
        "i386-2.6.22-indented-null-acpi_ns_internalize_name")
    assert result.function == "acpi_ns_internalize_name"
    assert bench.title_equal(result.title, title), result.title


def test_a_hung_task_report_whose_first_line_is_lost_is_a_hung_task():
    """A dump or paste may start inside the report: its second line, the
    hung_task_timeout_secs advice, starts it; the blocked task's frame
    past the mutex is named."""
    result, title = _realworld4("x86_64-3.10-headless-hung-lookup_slow")
    assert result.kind == "hung-task"
    assert bench.title_equal(result.title, title), result.title


def test_a_page_fault_headline_wrapped_after_null_pointer():
    """arm's "Unable to handle kernel NULL pointer dereference at virtual
    address" is longer than a mail or forum line: cut after "NULL
    pointer" (and printed after another message's unended line) it is
    still the NULL dereference."""
    result, title = _realworld4("arm32-2.6.28-null-inflate_codes")
    assert bench.title_equal(result.title, title), result.title
    excerpt = ("Unable to handle kernel NULL pointer \n"
               "dereference at virtual address 00000001\n"
               "PC is at inflate_codes+0x138/0x41c\n")
    assert analysis.analyse(excerpt).title == \
        "BUG: unable to handle kernel NULL pointer dereference in inflate_codes"


def test_a_blocked_stack_scanned_without_frame_pointers_is_read():
    """Without frame pointers every frame is printed "? ": a trace that
    starts in the scheduler is the sleeping task's own, read past the
    clock its timed wait read and the wait queue's wake callback."""
    result, title = _realworld4(
        "x86_64-placeholder-name-hung-jbd2_journal_commit_transaction")
    assert bench.title_equal(result.title, title), result.title


def test_an_all_unreliable_trace_not_starting_in_the_scheduler_names_nothing():
    """syzkaller's dev 482: "? " frames that do not start with the
    scheduler are leftovers on the stack (syzkaller: corrupted)."""
    result, _ = _dev(482)
    assert result.function is None
