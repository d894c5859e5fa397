"""Issue 19, fifth real-world set (tests/data/realworld5): the rules its
first misses led to, each shown on a short log in the form the kernel
prints it (the functions are the set's, the lines are written here from
the printing code named in each docstring); the set's figures are tests/test_real_world_sets.py's."""

from harvester.crash import analysis


def _title(log, reason="Oops"):
    return analysis.analyse(log, reason).title


# 4.8's print_other_cpu_stall(): no CPU listed ("All QSes seen"), RCU's
# kthread starved; the reporting CPU dumps its own task with
# sched_show_task() from the timer tick: the tick's hrtimer path, then,
# below the interrupt entry, the idle loop it interrupted.
_IDLE_STALL = (
    "INFO: rcu_sched detected stalls on CPUs/tasks:\n"
    "All QSes seen, last rcu_sched kthread activity 10002 "
    "(4294947638-4294937636), jiffies_till_next_fqs=1, root ->qsmask 0x0\n"
    "swapper/0       R  running task    13504     0      0 0x00080000\n"
    "Call Trace:\n"
    " <IRQ>  [<ffffffffbb0be4e5>] sched_show_task+0xfa/0x107\n"
    " [<ffffffffbb0f4419>] print_other_cpu_stall+0x369/0x3de\n"
    " [<ffffffffbb0f458f>] check_cpu_stall+0x101/0x10d\n"
    " [<ffffffffbb0f45c0>] __rcu_pending+0x25/0x118\n"
    " [<ffffffffbb0f49a7>] rcu_check_callbacks+0xf3/0x14a\n"
    " [<ffffffffbb0f8dc3>] update_process_times+0x2a/0x4f\n"
    " [<ffffffffbb106166>] tick_sched_timer+0x5c/0x84\n"
    " [<ffffffffbb0f9678>] __run_hrtimer+0x6a/0xed\n"
    " [<ffffffffbb0f9751>] __hrtimer_run_queues+0x56/0x7a\n"
    " [<ffffffffbb0f98f6>] hrtimer_interrupt+0xaf/0x1a3\n"
    " [<ffffffffbb0287e7>] local_apic_timer_interrupt+0x4c/0x50\n"
    " [<ffffffffbb028b4f>] smp_apic_timer_interrupt+0x23/0x34\n"
    " [<ffffffffbbbeca14>] apic_timer_interrupt+0x84/0x90\n"
    " <EOI>  [<ffffffffbb01b890>] default_idle+0xe/0x17\n"
    " [<ffffffffbb01b72d>] arch_cpu_idle+0xa/0xc\n"
    " [<ffffffffbb0cfa01>] default_idle_call+0x32/0x34\n"
    " [<ffffffffbb0cfab3>] cpuidle_idle_call+0x6a/0x111\n"
    " [<ffffffffbb0cfc4f>] cpu_idle_loop+0xf5/0x12b\n"
    " [<ffffffffbb0cfce7>] cpu_startup_entry+0x62/0x69\n"
    " [<ffffffffbbbe5947>] rest_init+0xbe/0xc5\n")


def test_an_idle_cpus_stall_names_no_frame_of_the_reporting_tick():
    """The idle loop is no culprit, and neither is the tick that runs the
    detector: __run_hrtimer calls the hrtimer's function (here the
    detector's tick_sched_timer), as call_timer_fn a timer's, and RCU's
    own checking (check_cpu_stall, __rcu_pending) is the detector."""
    assert _title(_IDLE_STALL, "Panic") == "INFO: rcu detected stall"


def test_a_stall_in_an_hrtimer_callback_names_the_callback():
    """The same dispatcher rule names the callback an hrtimer ran when
    the detector's tick interrupted it there (a self-detected stall: the
    tick's own path, the interrupt entry, then the stuck callback)."""
    log = _IDLE_STALL.replace(
        "INFO: rcu_sched detected stalls on CPUs/tasks:",
        "INFO: rcu_sched self-detected stall on CPU").replace(
        " <EOI>  [<ffffffffbb01b890>] default_idle+0xe/0x17\n",
        " [<ffffffffbb0f1111>] watchdog_hrtimer_fn+0x10/0x40\n"
        " [<ffffffffbb0f9678>] __run_hrtimer+0x6a/0xed\n"
        " [<ffffffffbb0f9751>] __hrtimer_run_queues+0x56/0x7a\n"
        " <EOI>  [<ffffffffbb01b890>] default_idle+0xe/0x17\n")
    assert _title(log, "Panic") == \
        "INFO: rcu detected stall in watchdog_hrtimer_fn"


def test_a_check_firing_in_the_handling_of_a_user_fault_names_the_handler():
    """lib/smp_processor_id.c's check_preemption_disabled() prints "BUG:
    using %s%s() in preemptible [%08x] code: %s/%d" and "caller is %pS";
    here the caller is lockdep's irq-state tracking, which the page-fault
    handler called while handling a user-space fault (the trace ends at
    the exception entry, the registers are user mode's): the handler's
    function is the code under report, not fault plumbing."""
    log = ("BUG: using __this_cpu_read() in preemptible [00000000] code: "
           "trinity-c4/1161\n"
           "caller is lockdep_hardirqs_on_prepare+0x2f/0x1c0\n"
           "CPU: 1 PID: 1161 Comm: trinity-c4 Not tainted 5.9.0-rc8 #1\n"
           "Call Trace:\n"
           " dump_stack+0x8d/0xb5\n"
           " check_preemption_disabled+0xc3/0xe0\n"
           " lockdep_hardirqs_on_prepare+0x2f/0x1c0\n"
           " trace_hardirqs_on+0x40/0x100\n"
           " __bad_area_nosemaphore+0x63/0x180\n"
           " exc_page_fault+0x5d/0x260\n"
           " asm_exc_page_fault+0x1e/0x30\n"
           "RIP: 0023:0x805cbe8\n"
           "RSP: 002b:00000000fffc6d50 EFLAGS: 00010282\n")
    assert _title(log) == ("BUG: using __this_cpu_read() in preemptible "
                           "code in __bad_area_nosemaphore")


def test_a_kernel_fault_still_passes_over_the_fault_handling():
    """The same handler under a kernel fault reports it: the trace goes
    on below the exception entry with the faulting kernel code, which is
    named (arch/x86/mm/fault.c's no_context -> __bad_area_nosemaphore)."""
    log = ("BUG: sleeping function called from invalid context at "
           "arch/x86/mm/fault.c:1351\n"
           "in_atomic(): 0, irqs_disabled(): 1, non_block: 0, pid: 7515, "
           "name: trinity-c1\n"
           "Call Trace:\n"
           " dump_stack+0x7d/0xa3\n"
           " ___might_sleep+0x2c4/0x2df\n"
           " __bad_area_nosemaphore+0x63/0x180\n"
           " do_user_addr_fault+0x234/0x59e\n"
           " exc_page_fault+0x70/0x8b\n"
           " asm_exc_page_fault+0x1b/0x20\n"
           "RIP: 0010:sem_more_checks+0x1c/0x6c\n"
           " semctl_down+0x2d/0x686\n"
           " ksys_semctl+0x1a5/0x1c0\n")
    assert _title(log) == ("BUG: sleeping function called from invalid "
                           "context in semctl_down")


# An arm32 WARN as lib/bug.c's __warn() prints it ("WARNING: CPU: %d PID:
# %d at %s:%d %pS") and dump_backtrace_entry() its frames ("[<%08lx>]
# (%ps) from [<%08lx>] (%pS)"), as a forum showed it: cut at 80 columns,
# a blank line after each line, the whole indented.
_WRAPPED = [
    "WARNING: CPU: 0 PID: 1 at drivers/mtd/nand/raw/nand_base.c:5756 "
    "nand_scan_with_ids+0xb88/0x137c",
    "Total number of ECC bytes exceeded oobsize",
    "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 5.4.70-F+S #1",
    "[<801292c0>] (warn_slowpath_fmt) from [<805a2f20>] "
    "(nand_scan_with_ids+0xb88/0x137c)",
    "[<805a2f20>] (nand_scan_with_ids) from [<805aceb4>] "
    "(gpmi_nand_fus_probe+0x290/0x370)",
    "[<805aceb4>] (gpmi_nand_fus_probe) from [<8052fe54>] "
    "(platform_drv_probe+0x48/0x94)",
    "[<8052e7f0>] (__driver_attach) from [<8052c670>] "
    "(bus_for_each_dev+0x64/0xa4)",
]


def _cut(lines, width=80):
    out = []
    for line in lines:
        while len(line) > width:
            out += ["    " + line[:width], ""]
            line = line[width:]
        out += ["    " + line, ""]
    return "\n".join(out) + "\n"


def test_a_log_hard_wrapped_at_a_fixed_width_is_read_joined():
    """The header's function and every frame cut mid-token are joined
    again: the WARN names its own function, the driver's frames show."""
    result = analysis.analyse(_cut(_WRAPPED), "Oops")
    assert result.title == "WARNING in nand_scan_with_ids"
    assert "gpmi_nand_fus_probe" in result.frames


def test_lines_of_the_same_width_are_not_joined_without_a_cut_token():
    """Register lines all of one width (the longest of a short excerpt)
    end in whole words: nothing is joined, "Call trace:" stays a line."""
    regs = ["x%d: ffff800015db3a80 x%d: ffff80000a7022a0 x%d: 0000000000000007"
            % (n, n - 1, n - 2) for n in (29, 26, 23, 20)]
    log = ("Unable to handle kernel paging request at virtual address "
           "ffff800015b3a002\n"
           "Internal error: Oops: 96000007 [#1] PREEMPT SMP\n"
           "pc : virtqueue_get_buf_ctx_split+0x28/0x180\n"
           + "\n".join(regs) + "\nCall trace:\n"
           " virtqueue_get_buf_ctx_split+0x28/0x180\n"
           " rpmsg_recv_done+0x30/0x40\n")
    lines = log.splitlines()
    assert analysis._unwrapped(lines) == lines


def test_a_bad_page_cache_report_names_who_removed_the_page():
    """mm/filemap.c prints "BUG: Bad page cache in process %s  pfn:%05lx"
    (unaccount_page_cache_page, filemap_unaccount_folio since 5.16) as a
    page leaves the page cache; the removal and truncation helpers are
    its plumbing, the filesystem that truncated is named (here with the
    folio-era names, where the set's log has the page-era ones)."""
    log = ("BUG: Bad page cache in process systemd-journal  pfn:11ca9c\n"
           "page dumped because: still mapped when deleted\n"
           "CPU: 0 PID: 159 Comm: systemd-journal Tainted: G    B\n"
           "Call Trace:\n"
           " <TASK>\n"
           " dump_stack_lvl+0x64/0x7c\n"
           " filemap_unaccount_folio+0x3e/0xae\n"
           " __filemap_remove_folio+0x39/0x1c0\n"
           " filemap_remove_folio+0x53/0xc0\n"
           " truncate_inode_folio+0x1f/0x40\n"
           " shmem_undo_range+0x168/0x840\n"
           " shmem_truncate_range+0x14/0x40\n")
    assert _title(log) == "BUG: Bad page cache in shmem_undo_range"


def test_the_init_threads_entry_is_a_dispatcher_not_a_culprit():
    """kernel_init() is the init thread's entry, as kthread() another
    thread's: a stall in what it calls directly (mark_rodata_ro, not an
    initcall) names that function by the dispatcher rule, never the
    entry itself (RCU's self-detected report, kernel/rcu/tree_stall.h)."""
    log = ("INFO: rcu_sched self-detected stall on CPU\n"
           "Task dump for CPU 0:\n"
           "swapper/0       R  running task    25256     1      0 0x00000008\n"
           "Call Trace:\n"
           " <IRQ>  [<ffffffff811c8972>] sched_show_task+0x5b2/0x5f0\n"
           " [<ffffffff811d07f0>] dump_cpu_task+0x90/0xa0\n"
           " [<ffffffff8142d4d5>] rcu_dump_cpu_stacks+0x24b/0x353\n"
           " [<ffffffff812a40b3>] rcu_check_callbacks+0xd53/0x2500\n"
           " [<ffffffff812b9c6d>] update_process_times+0x4d/0xb0\n"
           " [<ffffffff820a70a9>] apic_timer_interrupt+0x89/0x90\n"
           " <EOI>  [<ffffffff810e5425>] mark_rodata_ro+0x1a4/0x1c0\n"
           " [<ffffffff8209217d>] kernel_init+0x5d/0x250\n"
           " [<ffffffff820a66ef>] ret_from_fork+0x1f/0x40\n")
    assert _title(log, "Panic") == "INFO: rcu detected stall in mark_rodata_ro"


def test_old_x86_marks_an_interrupts_first_frame_on_its_line():
    """Before 4.9 arch/x86/kernel/dumpstack_64.c printed " <IRQ> " and
    " <EOI> " with KERN_CONT, so the first frame of the interrupt's stack
    and of the context it interrupted share the marker's line."""
    from harvester.crash.frames import parse_frame
    for line, func, unreliable in (
            (" <IRQ>  [<ffffffff812ea8f6>] dump_stack+0x2e/0x3e",
             "dump_stack", False),
            (" <EOI>  [<ffffffff8132969a>] ? insert_augmented+0x34/0x8e",
             "insert_augmented", True)):
        frame = parse_frame(line)
        assert (frame.func, frame.unreliable) == (func, unreliable)


def test_a_stall_trace_cut_inside_the_detectors_tick_names_nothing():
    """RCU's self-detected report (kernel/rcu/tree_stall.h: "rcu: INFO:
    %s self-detected stall on CPU", the CPU line, "(t=%lu jiffies ...)",
    then dump_cpu_task()'s "Task dump for CPU %d:") whose paste ends in
    the timer interrupt that ran the detector, before the stalled task's
    frames: the detector's own frames (dump_cpu_task) are not the stall."""
    log = ("rcu: INFO: rcu_sched self-detected stall on CPU\n"
           "rcu:     0-....: (14113 ticks this GP) idle=9f7/1/0x4000000000000002"
           " softirq=21990/21990 fqs=6453\n"
           " (t=15000 jiffies g=79477 q=24677)\n"
           "Task dump for CPU 0:\n"
           "task:snapd           state:R  running task     stack:    0 "
           "pid:  634 ppid:   157 flags:0x0000000a\n"
           "Call trace:\n"
           " dump_backtrace+0x0/0x1c0\n"
           " show_stack+0x1c/0x24\n"
           " sched_show_task+0x164/0x190\n"
           " dump_cpu_task+0x48/0x54\n"
           " rcu_dump_cpu_stacks+0xec/0x130\n"
           " rcu_sched_clock_irq+0x914/0xa50\n"
           " update_process_times+0xa0/0x190\n"
           " tick_sched_timer+0x5c/0xd0\n"
           " __hrtimer_run_queues+0x140/0x330\n"
           " hrtimer_interrupt+0xf4/0x240\n"
           " hv_stimer0_isr+0x28/0x30\n"
           " handle_percpu_devid_irq+0x8c/0x1b4\n"
           " gic_handle_irq+0x58/0x128\n"
           " call_on_irq_stack+0x20/0x38\n")
    assert _title(log, "Panic") == "INFO: rcu detected stall"
