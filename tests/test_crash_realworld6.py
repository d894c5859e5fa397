"""Issue 19, sixth real-world set (tests/data/realworld6: boards, vendor
kernels, out-of-tree drivers): the rules its first misses led to, each
shown on a short log in the form the kernel prints it (the functions are
the set's, the lines are written here from the printing code named in
each docstring); the set's figures are tests/test_real_world_sets.py's."""

from harvester.crash import analysis


def _title(log, reason="Oops"):
    return analysis.analyse(log, reason).title


# __warn() prints "WARNING: CPU: %d PID: %d at %pS %pS" (file:line, then
# the function), then the module list, the registers and the trace.
_HELPER_WARN = ("------------[ cut here ]------------\n"
                "WARNING: CPU: 0 PID: 2147 at mm/slab_common.c:98 "
                "kmem_cache_create+0x1cc/0x258\n"
                "Modules linked in: nvgpu\n")


def test_a_warning_in_a_helper_names_the_caller_its_trace_shows():
    """kmem_cache_create is a slab helper: the trace's first frame past
    it is the culprit (the rule kept)."""
    log = _HELPER_WARN + ("Call trace:\n"
                          " kmem_cache_create+0x1cc/0x258\n"
                          " nvgpu_probe+0x40/0x300\n"
                          " platform_probe+0x70/0xe8\n")
    assert _title(log, "Warning") == "WARNING in nvgpu_probe"


def test_a_warning_in_a_helper_without_a_trace_names_the_helper():
    """A paste that ends before the trace (a Jetson's warning quoted up
    to its module list): the function the header names is better than
    none, as a faulting helper is named when no caller is shown."""
    assert _title(_HELPER_WARN, "Warning") == \
        "WARNING in kmem_cache_create"


def test_an_rcu_stall_whose_stalled_cpu_idles_names_no_function():
    """rcu_print_detail_task_stall / rcu_dump_cpu_stacks: "Sending NMI
    from CPU 1 to CPUs 3:", then nmi_cpu_backtrace()'s "NMI backtrace for
    cpu 3" and arm32's __show_regs ("PC is at %pS"): the stalled CPU is
    in the idle loop (an Allwinner H3), so no code of it is stuck."""
    log = ("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n"
           "rcu:     3-...!: (0 ticks this GP) idle=45a/0/0x0 "
           "softirq=9273/9273 fqs=0  (false positive?)\n"
           " (detected by 1, t=2103 jiffies, g=32685, q=49)\n"
           "Sending NMI from CPU 1 to CPUs 3:\n"
           "NMI backtrace for cpu 3\n"
           "CPU: 3 PID: 0 Comm: swapper/3 Tainted: G O 5.15.35 #1\n"
           "Hardware name: Allwinner sun8i Family\n"
           "PC is at arch_cpu_idle+0x38/0x3c\n"
           "LR is at arch_cpu_idle+0x34/0x3c\n"
           "pc : [<c010722c>]    lr : [<c0107228>]    psr: 60000013\n")
    assert _title(log, "Panic") == "INFO: rcu detected stall"


def test_an_rcu_stall_whose_stalled_cpu_runs_code_still_names_it():
    """The same report with the stalled CPU in a driver's loop: the
    interrupted function is named (the rule kept)."""
    log = ("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n"
           "rcu:     3-...!: (0 ticks this GP) idle=45a/0/0x0 "
           "softirq=9273/9273 fqs=0\n"
           " (detected by 1, t=2103 jiffies, g=32685, q=49)\n"
           "Sending NMI from CPU 1 to CPUs 3:\n"
           "NMI backtrace for cpu 3\n"
           "CPU: 3 PID: 77 Comm: kworker/3:1 Tainted: G O 5.15.35 #1\n"
           "Hardware name: Allwinner sun8i Family\n"
           "PC is at sun8i_poll_fifo+0x38/0x3c\n"
           "LR is at sun8i_poll_fifo+0x34/0x3c\n"
           "pc : [<c010722c>]    lr : [<c0107228>]    psr: 60000013\n")
    assert _title(log, "Panic") == "INFO: rcu detected stall in sun8i_poll_fifo"
