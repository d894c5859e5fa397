"""Issue 19, seventh real-world set (tests/data/realworld7: VMs, cloud and
distribution bug reports): the rules its first misses led to, each shown
on a short log in the form the kernel prints it (the functions are the
set's, the lines are written here from the printing code named in each
docstring); the set's figures are tests/test_real_world_sets.py's."""

from harvester.crash import analysis


def _title(log, reason="Oops"):
    return analysis.analyse(log, reason).title


def test_bug_without_an_arch_trap_names_the_function_its_header_prints():
    """include/asm-generic/bug.h, where the arch has no BUG trap (LKL,
    no-MMU ports): printk("BUG: failure at %s:%d/%s()!\\n", __FILE__,
    __LINE__, __func__), then panic("BUG!"); no registers, no trace."""
    log = ("BUG: failure at kernel/irq_work.c:135/irq_work_run_list()!\n"
           "Kernel panic - not syncing: BUG!\n"
           "---[ end Kernel panic - not syncing: BUG!\n")
    assert _title(log, "Panic") == "kernel BUG in irq_work_run_list"


def test_a_stall_trace_cut_before_the_interrupt_entry_names_nothing():
    """print_cpu_stall() ("rcu: INFO: %s self-detected stall on CPU"),
    then rcu_dump_cpu_stacks -> dump_cpu_task -> sched_show_task ("Task
    dump for CPU 0:", "task:%-15.15s state:%c", the trace) on riscv,
    whose periodic tick (kernel/time/tick-common.c: tick_handle_periodic
    -> tick_periodic -> update_process_times) ran the detector; the paste
    ends before the timer interrupt's entry, so nothing stuck shows."""
    log = ("rcu: INFO: rcu_sched self-detected stall on CPU\n"
           "rcu:     0-....: (6499 ticks this GP) idle=b35/1/0x4000000000000002"
           " softirq=1015/1015 fqs=3111\n"
           "\t(t=6500 jiffies g=837 q=20 ncpus=2)\n"
           "Task dump for CPU 0:\n"
           "task:tracexec        state:R  running task     stack:11976 "
           "pid:   71 ppid:    68 flags:0x00000008\n"
           "Call Trace:\n"
           "[<ffffffff8000692a>] dump_backtrace+0x30/0x38\n"
           "[<ffffffff8055525e>] show_stack+0x40/0x4c\n"
           "[<ffffffff80048ef6>] sched_show_task+0x1a4/0x2c6\n"
           "[<ffffffff80555bf8>] dump_cpu_task+0x56/0x60\n"
           "[<ffffffff80557576>] rcu_dump_cpu_stacks+0xf8/0x198\n"
           "[<ffffffff800a3548>] rcu_sched_clock_irq+0xd38/0xe82\n"
           "[<ffffffff800b3938>] update_process_times+0x78/0xaa\n"
           "[<ffffffff800c30f0>] tick_periodic+0x56/0x12c\n"
           "[<ffffffff800c31f8>] tick_handle_periodic+0x32/0xa8\n")
    assert _title(log, "Panic") == "INFO: rcu detected stall"


def test_a_task_hung_in_a_spl_condition_variable_names_its_caller():
    """check_hung_task(): "INFO: task %s:%d blocked for more than %ld
    seconds.", then the blocked task's trace: SPL's cv_wait
    (module/os/linux/spl/spl-condvar.c: __cv_wait -> cv_wait_common ->
    schedule) is a wait like wait_event, the waiter is the culprit."""
    log = ("INFO: task qemu-kvm:11604 blocked for more than 120 seconds.\n"
           "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables "
           "this message.\n"
           "task:qemu-kvm        state:D stack:    0 pid:11604 ppid:     1 "
           "flags:0x00000080\n"
           "Call Trace:\n"
           " schedule+0x29/0x70\n"
           " cv_wait_common+0x125/0x150 [spl]\n"
           " __cv_wait+0x15/0x20 [spl]\n"
           " zil_commit_impl+0x8b/0x7d0 [zfs]\n"
           " zvol_request+0x305/0x610 [zfs]\n")
    assert _title(log, "Panic") == "INFO: task hung in zil_commit_impl [zfs]"
