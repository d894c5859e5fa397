"""Issue 19, third real-world set (tests/data/realworld3): the rules its
first misses led to, each shown on a short log in the form the kernel
prints it (the functions are the set's, the lines are written here from
the printing code named in each docstring); the set's figures are tests/test_real_world_sets.py's."""

import pytest

from benchmarks import analysis as bench
from harvester.crash import analysis


def _title(log, reason="Oops"):
    return analysis.analyse(log, reason).title


def test_mips_kernel_bug_detected_is_a_kernel_bug():
    """mips and loongarch BUG(): do_trap_or_bp()/do_bp() call
    die_if_kernel("Kernel bug detected", regs), which prints "%s[#%d]:"
    and the registers, the faulting function on the "epc" line."""
    log = ("Kernel bug detected[#1]:\n"
           "CPU: 1 PID: 699 Comm: monitor Tainted: G O 3.10.20 #6\n"
           "$ 0   : 0000000000000000 ffffffff8054af84 0000000000000004 "
           "0000000000000008\n"
           "epc   : ffffffff8026997c cache_alloc_refill+0x174/0x7e0\n"
           "ra    : ffffffff802698ac cache_alloc_refill+0xa4/0x7e0\n"
           "Call Trace:\n"
           "[<ffffffff8026997c>] cache_alloc_refill+0x174/0x7e0\n"
           "[<ffffffff8026974c>] kmem_cache_alloc+0x154/0x210\n"
           "Kernel panic - not syncing: Fatal exception\n")
    assert _title(log, "Panic") == "kernel BUG in cache_alloc_refill"


def test_a_serial_loggers_stamp_is_no_part_of_the_kernel_line():
    """A serial capture tool's "MM-DD HH:MM:SS " before each line (an
    Octeon console of tests/data/realworld3): taken off where it comes
    before the kernel's own timestamp; the trace is then read."""
    log = ("02-10 01:10:24  [   81.726789] Oops[#1]:\n"
           "02-10 01:10:24  [   81.743065] CPU: 1 PID: 699 Comm: monitor "
           "Tainted: G O 3.10.20 #6\n"
           "02-10 01:10:25  [   82.491022] epc   : ffffffff8026997c "
           "memcpy+0x174/0x7e0\n"
           "02-10 01:10:25            800000008c211c90 ffffffff801a4e1c\n"
           "02-10 01:10:26  [   83.630192] Call Trace:\n"
           "02-10 01:10:26  [   83.645325] [<ffffffff8026997c>] "
           "memcpy+0x174/0x7e0\n"
           "02-10 01:10:26  [   83.663932] [<ffffffff8026974c>] "
           "octeon_mgmt_receive+0x154/0x210\n")
    assert analysis.analyse(log, "Oops").frames[:2] == [
        "memcpy", "octeon_mgmt_receive"]
    assert _title(log) == "Oops in octeon_mgmt_receive"


def test_xmon_names_the_faulting_function_and_its_callers():
    """powerpc xmon (arch/powerpc/xmon/xmon.c print_bug_trap/excprint):
    "    pc: <addr>: func+0x/0x" and a stack of "[sp] pc func+0x/0x"."""
    log = ("BUG: Unable to handle kernel data access on read at "
           "0xc00800000176c638\n"
           "Faulting instruction address: 0xc008000000d4ddb0\n"
           "cpu 0x0: Vector: 300 (Data Access) at [c00000036da077a0]\n"
           "    pc: c008000000d4ddb0: kvmppc_mmu_pte_flush_all+0x68/0xd0 "
           "[kvm_pr]\n"
           "    lr: c008000000d4dd94: kvmppc_mmu_pte_flush_all+0x4c/0xd0 "
           "[kvm_pr]\n"
           "enter ? for help\n"
           "[c00000036da07ab0] c008000000d4fbe0 kvmppc_mmu_destroy_pr+0x28/"
           "0x60 [kvm_pr]\n"
           "[c00000036da07ae0] c0080000009eab8c kvmppc_mmu_destroy+0x34/0x50"
           " [kvm]\n")
    result = analysis.analyse(log, "Oops")
    assert result.title == ("BUG: unable to handle kernel paging request in "
                            "kvmppc_mmu_pte_flush_all [kvm_pr]")
    assert result.frames[:2] == ["kvmppc_mmu_destroy_pr [kvm_pr]",
                                 "kvmppc_mmu_destroy [kvm]"]


def test_a_faults_die_line_far_below_its_header_is_the_same_crash():
    """x86 prints "BUG: unable to handle page fault", "#PF:" lines and
    "Oops: 0000 [#1]" (arch/x86/mm/fault.c, dumpstack.c); a console
    interleaves other drivers' lines without caller ids: the Oops, its
    RIP and trace still belong to the fault's report."""
    noise = "".join("[    5.%06d] gpio gpiochip1: registered GPIO %d\n"
                    % (262000 + n, n) for n in range(60))
    log = ("[    5.261988] BUG: unable to handle page fault for address: "
           "0000000000200286\n" + noise +
           "[    5.269676] #PF: supervisor read access in kernel mode\n"
           "[    5.269686] Oops: 0000 [#1] PREEMPT SMP PTI\n"
           "[    5.269698] RIP: 0010:foo_read_regs+0x19/0x3d [foo]\n"
           "[    5.285952] Call Trace:\n"
           "[    5.310283]  foo_probe+0x42/0x4b [foo]\n"
           "[    5.443063] ---[ end trace b82bbb4bc35dba82 ]---\n")
    assert _title(log) == ("BUG: unable to handle kernel paging request in "
                           "foo_read_regs [foo]")


def test_a_lone_frame_before_the_call_trace_line_is_no_frame_of_it():
    """__schedule_bug() prints "Preemption disabled at:" and the site
    (print_ip_sym) before the stack; a log that lost the label line keeps
    a lone frame before "Call trace:", which is not the trace."""
    log = ("BUG: scheduling while atomic: swapper/6/0/0x00000002\n"
           "Modules linked in:\n"
           "[<ffff80000810b0ec>] migrate_enable+0x3c/0x160\n"
           "CPU: 6 PID: 0 Comm: swapper/6 Not tainted 5.18.0-rt11+ #1\n"
           "Call trace:\n"
           " dump_stack+0x14/0x2c\n"
           " __schedule_bug+0xa8/0xc0\n"
           " __schedule+0x58/0x520\n"
           " schedule_rtlock+0x20/0x44\n"
           " rtlock_slowlock_locked+0x110/0x260\n"
           " rt_spin_lock+0x74/0x94\n"
           " genpd_lock_nested_spin+0x20/0x30\n")
    assert _title(log) == ("BUG: scheduling while atomic in "
                           "genpd_lock_nested_spin")


@pytest.mark.parametrize("pc,link,expected", [
    # riscv: "epc : f" then " ra : caller" (arch/riscv/kernel/process.c)
    ("epc : __memset+0xc4/0xfc", " ra : skb_flow_dissector_init+0x1e/0x82",
     "skb_flow_dissector_init"),
    # arm64: "pc : f" then "lr : caller" (arch/arm64/kernel/process.c)
    ("pc : memcpy+0x40/0x230", "lr : foo_fill_desc+0x5c/0x120 [foo]",
     "foo_fill_desc [foo]"),
    # a helper that called out: the link register is in itself
    ("pc : strcmp+0x10/0x40", "lr : strcmp+0x8/0x40", "kernel_init_one"),
    # a sanitizer's check runs in the frame the trace shows
    ("pc : __hwasan_check_x0_67043363+0x4/0x30", "lr : vgic_get_irq+0x7c/0x3d4",
     "kernel_init_one"),
])
def test_a_leaf_helpers_caller_is_read_from_the_link_register(pc, link,
                                                               expected):
    """A helper that calls nothing keeps its caller only in the link
    register; the frame-record unwinder skips that caller."""
    log = ("Unable to handle kernel paging request at virtual address "
           "ffffffff81201220\n"
           "Oops [#1]\n"
           "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 5.13.0 #1\n"
           "%s\n%s\n"
           "Call trace:\n"
           "[<ffffffff8029806c>] %s\n"
           "[<ffffffff8061e984>] kernel_init_one+0x22/0x60\n"
           "[<ffffffff800010fc>] do_one_initcall+0x3e/0x168\n"
           % (pc, link, pc.split(": ", 1)[1]))
    assert _title(log).endswith(" in " + expected)


def test_a_call_through_a_null_pointer_on_s390_names_the_caller():
    """s390's die() prints the PSW, "(0x0)" when the address has no
    symbol, and "Last Breaking-Event-Address:" with the branch that got
    there (arch/s390/kernel/dumpstack.c): a tail call through a NULL
    pointer leaves no frame of the caller in the trace."""
    log = ("Unable to handle kernel pointer dereference in virtual kernel "
           "address space\n"
           "Oops: 0004 ilc:1 [#1] SMP\n"
           "CPU: 17 PID: 45118 Comm: cat Not tainted 5.3.0 #1\n"
           "Krnl PSW : 0704c00180000000 0000000000000000 (0x0)\n"
           "Call Trace:\n"
           "([<00000000734a1486>] do_dentry_open+0x206/0x3c0)\n"
           " [<00000000734b8c1e>] do_last+0x16e/0x918\n"
           "Last Breaking-Event-Address:\n"
           " [<00000000736ae3fa>] default_open_file+0x5a/0x78\n")
    assert _title(log) == ("BUG: unable to handle kernel paging request in "
                           "default_open_file")


@pytest.mark.parametrize("frames,expected", [
    # lib/vsprintf.c's string_nocheck and the devres helpers of lib/devres.c
    (["string_nocheck+0x19/0x3d", "vsnprintf+0x21c/0x427",
      "devm_kvasprintf+0x4a/0x9e", "devm_kasprintf+0x4e/0x69",
      "__devm_ioremap_resource+0x7c/0x12d",
      "intel_pmc_get_resources+0x97/0x29c [intel_pmc_bxt]"],
     "intel_pmc_get_resources [intel_pmc_bxt]"),
    # include/linux/percpu-refcount.h
    (["percpu_ref_get+0x32/0x40", "cgroup_sk_alloc+0x40/0x6e"],
     "cgroup_sk_alloc"),
    # include/linux/log2.h, out of line
    (["__roundup_pow_of_two+0x25/0x31", "amdgpu_vm_adjust_size+0x57/0x1f9"],
     "amdgpu_vm_adjust_size"),
])
def test_helpers_by_role_are_passed_over(frames, expected):
    log = ("general protection fault: 0000 [#1] SMP\n"
           "CPU: 3 PID: 185 Comm: udevd Not tainted 5.10.219 #1\n"
           "Call Trace:\n" + "".join(" %s\n" % f for f in frames))
    assert _title(log) == "general protection fault in " + expected


def test_a_log_quoted_with_bars_reads_as_the_log():
    """Some mail quotes a pasted console with "| " before each line
    (tests/data/realworld3's arm64 workqueue lockup): the trace is read
    as if unquoted."""
    log = ("| BUG: kernel NULL pointer dereference, address: 0000000000000010\n"
           "| Oops: 0000 [#1] SMP PTI\n"
           "| CPU: 1 PID: 42 Comm: modprobe Not tainted 5.10.0 #2\n"
           "| RIP: 0010:strlen+0x0/0x20\n"
           "| Call Trace:\n"
           "|  foo_register_port+0x3c/0x90 [foo]\n"
           "|  foo_probe+0x112/0x1f0 [foo]\n"
           "|  platform_probe+0x3a/0xa0\n")
    assert _title(log) == ("BUG: unable to handle kernel NULL pointer "
                           "dereference in foo_register_port [foo]")


@pytest.mark.parametrize("quote", ["| ", "> "])
def test_every_third_set_log_reads_the_same_quoted(quote):
    """Quoted once more (unless the set keeps it quoted already), each
    log of tests/data/realworld3 gets the title it gets as it is."""
    for name in bench.realworld_names(bench.REALWORLD3):
        log = bench.load(name, bench.REALWORLD3).log.decode("utf-8",
                                                             "replace")
        if log.lstrip().startswith((">", "|")):
            continue
        quoted = "".join(quote + line + "\n" for line in log.splitlines())
        assert analysis.analyse(quoted, "Oops").title == \
            analysis.analyse(log, "Oops").title, name


def test_dmesg_T_stamps_are_no_part_of_the_kernel_line():
    """util-linux "dmesg -T" puts the wall clock where the kernel's
    timestamp was (a hung task on arm64, as posted with a series' cover
    letter): the line's text keeps its own indentation."""
    log = ("[Thu Mar 13 15:18:38 2025] INFO: task cat:1803 blocked for more "
           "than 122 seconds.\n"
           "[Thu Mar 13 15:18:38 2025]       Tainted: G OE 6.14.0-rc3+ #14\n"
           "[Thu Mar 13 15:18:38 2025] task:cat             state:D stack:0\n"
           "[Thu Mar 13 15:18:38 2025] Call trace:\n"
           "[Thu Mar 13 15:18:38 2025]  __switch_to+0x1ec/0x380 (T)\n"
           "[Thu Mar 13 15:18:38 2025]  __schedule+0xc30/0x44f8\n"
           "[Thu Mar 13 15:18:38 2025]  schedule+0xb8/0x3b0\n"
           "[Thu Mar 13 15:18:38 2025]  down+0xd0/0x140\n"
           "[Thu Mar 13 15:18:38 2025]  read_dummy+0x3c/0xa0 [hung_task_sem]\n"
           "[Thu Mar 13 15:18:38 2025]  full_proxy_read+0xfc/0x1d0\n")
    assert _title(log) == "INFO: task hung in read_dummy [hung_task_sem]"
