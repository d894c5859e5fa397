"""The kinds of report the kernel prints, one table entry each.

Each entry says how the report's first line looks (``start``, searched in
a line after its prefix, tried only when the line holds one of its
``needles``), how its title is written (``title``, syzbot's
wording: ``{culprit}`` and the ``start``/``detail`` groups are filled in),
where its culprit comes from (``culprit``, one of the rules below), which
frames it skips on top of the common lists, what ends it besides an end
marker or the next crash (``end``) and what ``Failure`` it is.

Culprit rules (harvester.crash.analysis carries them out):
    ip      the function the faulting instruction pointer names (RIP:,
            pc :, PC is at, NIP, epc, EIP:, Krnl PSW; the link register
            when the pointer has no symbol), else the trace
    trace   the first meaningful frame of the report's first stack trace
    head    the function the first line names (``in f``/``at file f+0x``),
            else the trace
    lock    lockdep's ``at: f`` after "is trying to acquire lock" (or the
            line after "release lock ... at:"), else the trace
    overflow  a stack overflow: the frame just before the first
            dispatcher (as for stalls: what the task was doing), else, the
            trace being cut inside the overflow, the function that
            recurses (the outermost frame shown of a function seen three
            times or more), else ip; never merely the frame that hit the
            guard
    stall   the frame just before the first dispatcher (syscall entry,
            process_one_work, timers, softirq, ret_from_fork) in the
            interrupted task's trace: the loop, not where the tick hit it
    irqsafe where a lock became irq-safe (lockdep's first trace, "...
            which became HARDIRQ-irq-safe at:"), else the acquisition
            site ("is trying to acquire: ... at: f") of a cut report
    hung    the first frame of the blocked task that is not scheduling,
            locking or waiting; every synchronize_rcu/srcu/net wait is one
            bucket, as is every rtnl_lock wait
    leak    the function named on a ``last function:`` line
    none    the kind alone tells the bug (no culprit in the title)

Formats are from the kernel sources (lib/bug.c, kernel/panic.c,
mm/kasan/report.c, kernel/locking/lockdep.c, kernel/rcu/tree_stall.h,
kernel/hung_task.c, kernel/watchdog.c, arch/*/kernel/traps.c and
dumpstack.c, mm/kfence, mm/kmsan, kernel/kcsan, lib/ubsan.c,
mm/kmemleak.c) and the experience recorded in syzkaller's pkg/report.
"""

from parsers.patterns import lazy

FUNC = r"(?P<func>[A-Za-z_][A-Za-z0-9_.]{0,200})"
# what follows a function named with its offset, "f+0x1c/0x2c", or as
# scripts/decode_stacktrace.sh rewrites it, "f (fs/x.c:12)"
OFFSET = r"(?:\+0x| \([^\s():]{1,200}:\d)"
_KASAN_END = lazy(r"^={40,}\s*$")


class Kind:
    """One kind of kernel report.  Kinds are compared and hashed by
    identity: each exists once, in KINDS."""

    def __init__(self, name, needles, start, title, culprit="trace",
                 failure="oops", skip=(), detail=None, end=None, panic=False,
                 dumps=False, cause=False, weak=False, level="", lower=False):
        self.name = name            # stable id of the kind
        self.needles = needles      # every line it starts on has one of these
        self.start = start          # pattern: the report's first line
        self.title = title          # template: {culprit} and named groups
        self.culprit = culprit      # rule, see the module docstring
        self.failure = failure      # Failure of a report of this kind
        self.skip = skip            # more frames to skip (searched regexes)
        self.detail = detail        # pattern: more groups, from a later line
        self.end = end              # pattern: ends the report (line included)
        self.panic = panic          # a panic: what a crash may lead to
        self.dumps = dumps          # the kernel writes an Oops dump for it
        self.cause = cause          # a sanitizer report: it names the cause
                                    # of an oops that follows it
        self.weak = weak            # a message that may be no bug: counts
                                    # only when the log holds nothing else
        self.level = level          # {level} when the start has none
        self.lower = lower          # {what} with a lower-case first letter

    def __repr__(self):
        return "<Kind %s>" % self.name


def _k(name, needles, start, title, culprit="trace", failure="oops", **kw):
    """A kind; an oops (die(), arm's die_kernel_fault) is what makes the
    kernel write an Oops dump."""
    kw.setdefault("dumps", failure == "oops")
    return Kind(name, needles, lazy(start), title, culprit, failure,
                **kw)


_SANITIZER = dict(end=_KASAN_END, cause=True)
# Where an interrupted or preempted task's trace passes through the
# scheduler: never the loop a stall or lockup is about.
_SCHEDULER = ("^preempt_schedule", "^__schedule", "^schedule$",
              "^schedule_timeout", "^schedule_hrtimeout",
              "^__switch_to", "^context_switch", "^finish_task_switch",
              "^retint_", "^irqentry_exit", "^__cond_resched", "^_cond_resched")

# Rust's panic machinery and the C helpers Rust code calls (rust/helpers/).
_RUST_PANIC = (r"^__rustc::", r"::rust_begin_unwind$", r"^rust_begin_unwind$",
               r"^core::panicking::", r"^<&?core::panic::", r"^core::fmt::",
               r"^rust_helper_")

# Order matters: the first entry whose start matches a line names it.
KINDS = (
    # --- sanitizers --------------------------------------------------------
    _k("kasan", ('KASAN',),
       r"BUG: KASAN: (?P<what>double-free or invalid-free|"
       r"double-free|invalid-free)", "KASAN: invalid-free in {culprit}",
       failure="bug", skip=("^kfree", "^kvfree", "^kmem_cache_free",
                            "^slab_free", "^free_"), **_SANITIZER),
    _k("kasan", ('KASAN',),
       r"BUG: KASAN: (?P<what>[a-z-]{3,40})",
       "KASAN: {what} {access} in {culprit}", failure="bug",
       detail=lazy(r"^(?P<access>Read|Write) (?:of size|at addr)"),
       **_SANITIZER),
    _k("kmsan", ('KMSAN',),
       r"BUG: KMSAN: (?P<what>[a-z-]{3,40})",
       "KMSAN: {what} in {culprit}", failure="bug", **_SANITIZER),
    _k("kcsan", ('KCSAN',),
       r"BUG: KCSAN: (?P<what>[a-z-]{3,40}(?:: race)?) in " + FUNC +
       r"(?:\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16})?"
       r"(?: / (?P<func2>[A-Za-z_][A-Za-z0-9_.]{0,200}))?",
       "KCSAN: {what} in {culprit}", culprit="head", failure="bug",
       **_SANITIZER),
    _k("kfence", ('KFENCE',),
       r"BUG: KFENCE: (?P<what>[a-z- ]{3,40}?) in " + FUNC,
       "KFENCE: {what} in {culprit}", culprit="head", failure="bug",
       **_SANITIZER),
    _k("ubsan", ('UBSAN',),
       r"UBSAN: (?P<what>[A-Za-z-]{3,40}(?: [a-z-]{2,20})?) "
       r"(?:in|at) ", "UBSAN: {what} in {culprit}", failure="bug",
       skip=("^ubsan_", "^__ubsan_", "^handle_overflow", "^__ubsan_handle"),
       **_SANITIZER),
    _k("memory-leak", ('memory leak',),
       r"BUG: memory leak\b", "memory leak in {culprit}",
       failure="bug", skip=(
           # kmemleak's backtrace starts in the allocator: the culprit is
           # who asked for the memory (mm/kmemleak.c, mm/slub.c, ...)
           "^_{0,2}kmemleak_", "^_{0,2}create_object$", "^_{0,3}kmem_cache_",
           "^_{0,3}k[mzv]?alloc", "^_{0,3}kv[mz]alloc", "^_{0,2}kcalloc",
           "^_{0,2}krealloc", "^_{0,2}do_kmalloc", "^_{0,2}v[mz]alloc",
           "^_{0,2}vmalloc_", "^_{0,2}alloc_percpu", "^_{0,2}pcpu_",
           "^_{0,2}alloc_pages", "^_{0,2}folio_alloc", "^idr_get",
           "^list_lru_init", "^k?v?asprintf$", "^k(?:str|mem)n?dup",
           "^_{0,3}slab_alloc", "^_{0,2}(?:do_|vm_|ksys_)?mmap(?:_region|"
           "_pgoff)?$",
           # an object's own allocator (sk_prot_alloc, __alloc_skb,
           # radix_tree_node_alloc): "alloc" as a whole part of the name
           "(?:^|_)alloc(?:_|$)")),

    # Rust's panic handler (rust/kernel/lib.rs) prints where and why, then
    # BUG()s: the message names the bug, the culprit is the first frame
    # past Rust's panic machinery (the message on the next line since
    # Rust 1.73, quoted on the same line before).
    _k("rust-panic", ('rust_kernel: panicked',),
       r"rust_kernel: panicked at '(?P<what2>[^'\n]{1,160})'",
       "{what} in {culprit}", failure="bug", dumps=True, cause=True,
       skip=_RUST_PANIC),
    _k("rust-panic", ('rust_kernel: panicked',),
       r"rust_kernel: panicked at \S{1,300}:\d{1,7}:\d{1,7}:?\s*$",
       "{what} in {culprit}", failure="bug", dumps=True, cause=True,
       detail=lazy(r"^\s{0,16}(?P<what>\S.{0,159}?)\s*$"), skip=_RUST_PANIC),

    # --- lockdep -----------------------------------------------------------
    _k("deadlock", ('possible ',),
       r"(?:WARNING|INFO): possible (?:circular locking|recursive "
       r"locking|irq lock inversion)", "possible deadlock in {culprit}",
       culprit="lock", failure="warning"),
    _k("irq-lock-order", ('-unsafe lock order',),
       r"(?:WARNING|INFO): [A-Z]{2,8}-safe -> [A-Z]{2,8}-unsafe lock order",
       "possible deadlock in {culprit}", culprit="irqsafe",
       failure="warning"),
    _k("inconsistent-lock", ('inconsistent lock state',),
       r"(?:WARNING|INFO): inconsistent lock state",
       "inconsistent lock state in {culprit}", culprit="lock",
       failure="warning"),
    _k("unlock-balance", ('bad unlock balance',),
       r"(?P<level>BUG|WARNING): bad unlock balance",
       "{level}: bad unlock balance in {culprit}", culprit="lock",
       failure="warning"),
    _k("held-lock-freed", ('held lock freed',),
       r"(?P<level>BUG|WARNING): held lock freed",
       "{level}: held lock freed in {culprit}", culprit="lock",
       failure="warning"),
    _k("locks-held", ('still has locks held',),
       r"(?P<level>BUG|WARNING): \S{1,64} still has locks held"
       r"|(?P<level2>BUG|WARNING): still has locks held",
       "{level}: still has locks held in {culprit}", culprit="lock",
       failure="warning"),
    _k("lock-held-return", ('lock held when returning',),
       r"(?P<level>BUG|WARNING): lock held when "
       r"returning to user space", "{level}: lock held when returning to "
       "user space in {culprit}", culprit="lock", failure="warning"),
    # lockdep's other warnings (kernel/locking/lockdep.c): where the lock
    # was taken or released, else the backtrace.
    _k("lockdep-warning", ('Nested lock', 'bad contention', 'chain_key'),
       r"WARNING: (?P<what>Nested lock was not taken|bad contention "
       r"detected|chain_key collision)", "WARNING: {what} in {culprit}",
       culprit="lock", failure="warning", lower=True),
    # lockdep ran out of one of its tables (kernel/locking/lockdep.c):
    # the limit is the bug, wherever lockdep happened to be.
    _k("lockdep-limit", ('too low!',),
       r"BUG: (?P<what>MAX_[A-Z_]{3,40}) too low!",
       "BUG: {what} too low!", culprit="none", failure="warning"),
    _k("non-static-key", ('non-static key',),
       r"INFO: trying to register non-static key",
       "INFO: trying to register non-static key in {culprit}",
       failure="warning", skip=("^register_lock_class", "^__lock_acquire",
                                "^lock_acquire", "^assign_lock_key")),
    # 2.6.3x-3.1 said "suspicious rcu_dereference_check() usage".
    _k("suspicious-rcu", ('suspicious RCU usage', 'suspicious rcu_'),
       r"(?P<level>WARNING|INFO): suspicious (?:RCU|rcu_dereference_check"
       r"\(\)) usage",
       "{level}: suspicious RCU usage in {culprit}", failure="warning",
       skip=("^lockdep_rcu_suspicious", "^rcu_read_lock_held",
             "^rcu_dereference", "^rcu_(?:preempt_)?sleep_check$")),
    _k("locking-bug", ('Invalid wait context', 'lockdep.c',
                       'DEBUG_LOCKS_WARN_ON'),
       r"BUG: Invalid wait context|WARNING: .{0,120}kernel/"
       r"locking/lockdep\.c|DEBUG_LOCKS_WARN_ON",
       "WARNING: locking bug in {culprit}", failure="warning"),

    # --- stalls, lockups, hangs --------------------------------------------
    _k("rcu-stall", ('INFO: rcu_',),
       r"INFO: rcu_(?:preempt|sched|bh|tasks\w{0,8})(?:_state)? (?:self-)?"
       r"detected(?: expedited)? stalls?", "INFO: rcu detected stall in "
       "{culprit}", culprit="stall", failure="bug", skip=_SCHEDULER),
    _k("soft-lockup", ('soft lockup',),
       r"BUG: soft lockup(?: - CPU#\d{1,5} stuck for \d{1,9}s! "
       r"\[(?P<task>.{1,16}):\d{1,9}\])?", "BUG: soft lockup in {culprit}",
       culprit="stall", failure="bug", skip=_SCHEDULER),
    _k("hard-lockup", ('LOCKUP',),
       r"[Hh]ard LOCKUP on cpu|detected hard LOCKUP|"
       # powerpc (arch/powerpc/kernel/watchdog.c before 5.x)
       r"Watchdog CPU:\d{1,5} (?:detected )?Hard LOCKUP",
       "BUG: hard lockup in {culprit}", culprit="stall", failure="bug",
       skip=_SCHEDULER),
    _k("hung-task", ('blocked', 'hung_task_timeout_secs'),
       r"INFO: task (?P<task>.{1,80}):\d{1,9} blocked (?:in I/O wait )?"
       r"for more than|^.{0,64}:\d{1,9} blocked (?:in I/O wait )?for more "
       r"than \d{1,9} seconds|"    # a task name holding a newline
       # the report's second line, where its first is lost (a dump or
       # a paste that starts inside the report)
       r"^\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables",
       "INFO: task hung in {culprit}", culprit="hung",
       failure="hung task"),
    _k("task-cant-die", ("can't die",),
       r"INFO: task .{1,80} can't die for more than",
       "INFO: task can't die in {culprit}", culprit="hung",
       failure="hung task"),
    _k("workqueue-lockup", ('workqueue lockup',),
       r"BUG: workqueue lockup", "BUG: workqueue lockup",
       culprit="none", failure="bug"),
    _k("workqueue-leak", ('workqueue leaked',),
       r"BUG: workqueue leaked lock or atomic",
       "BUG: workqueue leaked lock or atomic in {culprit}", culprit="leak",
       failure="bug"),

    # --- atomic context and lock debugging --------------------------------
    _k("sleeping-atomic", ('sleeping function',),
       r"BUG: sleeping function called from invalid "
       r"context", "BUG: sleeping function called from invalid context in "
       "{culprit}", failure="bug",
       skip=("^__might_sleep", "^___might_sleep", "^__might_resched",
             "^might_sleep", "^__might_fault")),
    _k("scheduling-atomic", ('scheduling while atomic',),
       r"BUG: scheduling while atomic",
       "BUG: scheduling while atomic in {culprit}", failure="bug",
       skip=("^__schedule_bug", "^__schedule", "^schedule",
             "^preempt_schedule",
             "^schedule_timeout", "^do_task_dead")),
    _k("preemptible", ('in preemptible',),
       r"BUG: using (?P<what>[a-z_]{2,40}\(\)) in preemptible",
       "BUG: using {what} in preemptible code in {culprit}", failure="bug",
       skip=("^check_preemption_disabled", "^debug_smp_processor_id",
             "^__this_cpu_preempt_check")),
    _k("spinlock", ('BUG: spinlock', 'BUG: rwlock'),
       r"BUG: (?P<lock>spinlock|rwlock) (?P<what>lockup suspected|"
       r"already unlocked|recursion|wrong owner|wrong CPU|bad magic|"
       r"cpu recursion)", "BUG: {lock} {what} in {culprit}", failure="bug",
       skip=("^spin_bug", "^rwlock_bug", "^debug_spin", "^do_raw_",
             "^spin_dump")),
    _k("bad-page", ('Bad page',),
       r"BUG: Bad page (?P<what>state|cache|map)",
       "BUG: Bad page {what} in {culprit}", failure="bug",
       skip=("^bad_page", "^free_", "^__free_", "^free_pages", "^__free_pages",
             "^release_pages", "^put_page", "^__put_page", "^folio_put",
             "^__folio_put", "^page_", "^check_(?:new|free)_p", "_is_bad",
             "^__pagevec",
             "^free_unref", "^__page_cache_release", "^free_one_page",
             "^print_bad_pte", "^zap_", "^unmap_", "^__folio_batch",
             "^folios_put", "^__put_", "^__mmput", "^mmput", "^exit_mmap",
             # removal from the page cache, which prints "Bad page cache"
             # (mm/filemap.c, mm/truncate.c): the caller truncates
             "^unaccount_page_cache_page$", "^filemap_unaccount_folio$",
             "^_{0,2}delete_from_page_cache", "^_{0,2}filemap_remove_folio$",
             "^page_cache_delete", "^truncate_inode_(?:page|folio)$",
             "^truncate_cleanup_(?:page|folio)$")),
    _k("dentry-in-use", ('Dentry',),
       r"BUG: Dentry .{1,100} still in use",
       "BUG: Dentry still in use in {culprit}", failure="bug",
       skip=("^umount_check", "^d_walk", "^do_one_tree",
             "^shrink_dcache_for_umount",
             "^generic_shutdown_super", "^kill_", "^deactivate_",
             "^cleanup_mnt")),
    _k("stack-guard", ('stack guard page',),
       r"BUG: (?:[A-Z#]{2,8} )?stack guard page was hit",
       "BUG: stack guard page was hit in {culprit}", culprit="overflow",
       failure="bug", dumps=True),
    # The scheduler found its stack-end canary overwritten: the task ran
    # off its stack somewhere in what it was doing (the dispatcher rule).
    _k("corrupted-stack-end", ('corrupted stack end',),
       r"Kernel panic - not syncing: corrupted stack end",
       "kernel panic: corrupted stack end in {culprit}", culprit="stall",
       failure="panic", panic=True,
       skip=("^schedule_debug", "schedule", "^retint_", "^_cond_resched",
             "^__cond_resched", "^preempt_")),
    # arm64/riscv print the registers, then panic; arm32 and powerpc die().
    _k("stack-overflow", ('Insufficient stack space', 'stack overflow'),
       r"Insufficient stack space to handle exception|"
       r"[Kk]ernel stack overflow", "kernel stack overflow in {culprit}",
       culprit="overflow", failure="panic", panic=True),
    _k("stack-protector", ('stack-protector',),
       r"Kernel panic - not syncing: stack-protector: "
       r"Kernel stack is corrupted in: ?(?:[0-9a-fx]{1,18} )?"
       r"(?:(?![0-9a-f]{8,16}\b)" + FUNC + ")?",
       "kernel panic: stack is corrupted in {culprit}", culprit="head",
       skip=("^__stack_chk_fail",),
       failure="panic", panic=True),

    # --- memory access faults and traps -----------------------------------
    _k("page-fault", ('NULL pointer dereference', 'paging request',
                      'page fault', 'handle kernel', 'paging fault'),
       r"BUG: (?:unable to handle )?(?:[Kk]ernel )?(?P<what>NULL "
       r"pointer dereference|paging request|page fault)|[Uu]nable to handle "
       r"kernel (?P<what2>NULL pointer dereference|paging request|pointer "
       r"dereference|access to user memory|NULL pointer(?=\s*$))|"
       r"BUG: [Uu]nable to handle "     # ^ a line a mail or forum wrapped
       r"(?:kernel )?(?P<what3>data access|instruction fetch|unaligned "
       r"access|unknown paging fault)",
       "BUG: unable to handle kernel {what} in {culprit}", culprit="ip"),
    _k("gpf", ('general protection fault',),
       r"general protection fault", "general protection fault in "
       "{culprit}", culprit="ip"),
    _k("list-corruption", ('list_debug.c', 'corruption'),
       r"kernel BUG at lib/list_debug\.c|"
       r"WARNING: .{0,80}lib/list_debug\.c|list_(?:add|del) corruption",
       "BUG: corrupted list in {culprit}", culprit="trace",
       skip=("^__list_", "^list_", "^__list_del_entry_valid",
             "^__list_add_valid")),
    # BUG() where the arch has no trap for it (include/asm-generic/bug.h,
    # LKL, no-MMU ports): "BUG: failure at file:line/func()!", then a
    # panic; no registers or trace follow, the header names the function
    _k("kernel-bug", ('BUG: failure at ',),
       r"BUG: failure at (?P<file>\S{1,200}):\d{1,7}/" + FUNC + r"\(\)!",
       "kernel BUG in {culprit}", culprit="head"),
    _k("kernel-bug", ('kernel BUG at ', 'BUG: failure at '),
       r"kernel BUG at |BUG: failure at ",
       "kernel BUG in {culprit}", culprit="ip"),
    _k("double-fault", ('double fault',),
       r"PANIC: double fault", "PANIC: double fault in "
       "{culprit}", culprit="ip", failure="panic", dumps=True),
    _k("invalid-opcode", ('invalid opcode',),
       r"invalid opcode: [0-9a-f]{1,4}",
       "invalid opcode in {culprit}", culprit="ip"),
    _k("divide-error", ('divide error', 'divide_error'),
       r"divide[ _]error: [0-9a-f]{1,4}|Oops: divide error",
       "divide error in {culprit}", culprit="ip"),
    _k("int3", ('int3: ',),
       r"\bint3: [0-9a-f]{1,4}", "int3 in {culprit}", culprit="ip"),
    _k("stack-segment", ('stack segment',),
       r"stack segment: [0-9a-f]{1,4}",
       "stack segment fault in {culprit}", culprit="ip"),
    # arm/arm64 die(): "Internal error: Oops - BUG: 0 [#1]" is BUG(),
    # other reasons ("Oops - undefined instruction", 4.x "undefined
    # instruction") are said; a plain "Oops" follows a fault's own header.
    _k("kernel-bug", ('Internal error: Oops - BUG',),
       r"Internal error: Oops - BUG\b", "kernel BUG in {culprit}",
       culprit="ip"),
    # mips and loongarch die() for BUG() (arch/mips/kernel/traps.c
    # do_trap_or_bp, arch/loongarch/kernel/traps.c do_bp): "Kernel bug
    # detected[#1]:", the faulting function on the "epc" line.
    _k("kernel-bug", ('Kernel bug detected',),
       r"Kernel bug detected\[#\d{1,6}\]", "kernel BUG in {culprit}",
       culprit="ip"),
    _k("internal-error", ('Internal error: ',),
       r"Internal error: (?:Oops(?=:| \[)|(?:Oops - )?(?P<what>[A-Za-z]"
       r"[A-Za-z /-]{1,40})(?::| \[))?", "Internal error: {what} in {culprit}",
       culprit="ip"),
    _k("unhandled-fault", ('Unhandled fault',),
       r"Unhandled fault: ", "Unhandled fault in "
       "{culprit}", culprit="ip"),
    _k("alignment-trap", ('Alignment trap',),
       r"Alignment trap: ", "Alignment trap in {culprit}",
       culprit="ip"),
    _k("serror", ('SError', 'Bad mode in Error'),
       r"SError Interrupt on CPU|Bad mode in Error handler",
       "Asynchronous SError Interrupt in {culprit}", culprit="ip"),
    _k("bad-mode", ('Bad mode in ',),
       r"Bad mode in ", "kernel panic: bad mode", culprit="none",
       failure="panic"),

    # --- WARN()s whose file says what they are -----------------------------
    _k("odebug", ('debugobjects.c', 'ODEBUG: '),
       r"WARNING: .{0,120}lib/debugobjects\.c|ODEBUG: ",
       "WARNING: ODEBUG bug in {culprit}",
       failure="warning", skip=("^debug_", "^__debug_", "^(?:__)?call_rcu",
                                "vunmap", "^vfree", "^free_", "^__free_")),
    _k("refcount", ('refcount.c', 'refcount_t: '),
       r"WARNING: .{0,120}lib/refcount\.c|refcount_t: ",
       "WARNING: refcount bug in {culprit}", failure="warning"),
    _k("kobject", ('kobject.c',),
       r"WARNING: .{0,120}lib/kobject\.c",
       "WARNING: kobject bug in {culprit}", failure="warning"),
    _k("usercopy", ('usercopy',),
       r"(?P<level>WARNING): .{0,120}mm/usercopy\.c|"
       r"(?P<level2>BUG|WARNING): bad usercopy|"
       r"usercopy: [Kk]ernel memory (?:exposure|overwrite) attempt",
       "{level}: bad usercopy in {culprit}", failure="warning",
       level="BUG",
       skip=("^usercopy_", "^__check_heap_object", "^check_heap_object",
             "^__check_object_size", "^check_object_size",
             "^check_copy_size")),
    _k("proc-registration", ('fs/proc/generic.c',),
       r"WARNING: .{0,120}fs/proc/generic\.c",
       "WARNING: proc registration bug in {culprit}", failure="warning",
       skip=("^proc_(?:register|create|mkdir|symlink|net_mkdir|net_create|"
             "create_data|create_seq|create_single|create_net|mkdir_data|"
             "mkdir_mode|create_mount_point)", "^_proc_", "^__proc_create",
             "^_{0,2}xlate_proc_name$", "^pde_subdir_")),
    _k("kmalloc-bug", ('mm/',),
       r"WARNING: .{0,120}mm/\S{1,40}\.c\S{0,8} k.?.?malloc",
       "WARNING: kmalloc bug in {culprit}", failure="warning"),
    _k("zero-vmalloc", ('vmalloc.c',),
       r"WARNING: .{0,120}mm/vmalloc\.c.{0,60}__vmalloc_node",
       "WARNING: zero-size vmalloc in {culprit}", failure="warning"),
    _k("warning", ('WARNING: ',),
       r"WARNING: (?:CPU: ?\d{1,5} PID: ?\d{1,10} )?at "
       r"(?P<file>\S{1,200}) " + FUNC + OFFSET,
       "WARNING in {culprit}", culprit="head", failure="warning"),
    _k("warning", ('WARNING: ',),
       r"WARNING: (?P<file>\S{1,200}) at " + FUNC + OFFSET,
       "WARNING in {culprit}", culprit="head", failure="warning"),
    _k("warning", ('WARNING: ',),
       r"WARNING: at (?P<file>\S{1,200}) " + FUNC + r"\(\)",
       "WARNING in {culprit}", culprit="head", failure="warning"),
    _k("warning", ('WARNING: ',),
       r"WARNING: (?:CPU: ?\d{1,5} PID: ?\d{1,10} )?at "
       r"(?P<file>\S{1,200})", "WARNING in {culprit}", culprit="ip",
       failure="warning"),
    # the header cut after "at" (a mail or terminal wrapped the line):
    # the function is the RIP's
    _k("warning", ('WARNING: ',),
       r"WARNING: (?:CPU: ?\d{1,5} PID: ?\d{1,10} )?at\s*$",
       "WARNING in {culprit}", culprit="ip", failure="warning"),
    # Since 6.19: "WARNING: [cond] file:line at func+0x1/0x2, CPU#1:
    # comm/pid", "at 0x0" when the WARN site has no symbol.
    _k("warning", ('WARNING: ',),
       r"WARNING: (?:\[.{1,200}?\] )?(?P<file>\S{1,200}:\d{1,7}) at "
       r"(?:" + FUNC + r"\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}|0x[0-9a-f]{1,16}),"
       r" CPU#\d{1,5}", "WARNING in {culprit}", culprit="head",
       failure="warning"),
    _k("stack-regs", ('kernel stack regs',),
       r"WARNING: kernel stack regs at\s{1,20}(?:[0-9a-f]{1,16}|"
       r"\(ptrval\)) in \S{1,64} has bad '(?P<what>[a-z]{1,8})' value",
       "WARNING: kernel stack regs has bad '{what}' value", culprit="none",
       failure="warning"),
    _k("stack-frame-pointer", ('kernel stack frame pointer',),
       r"WARNING: kernel stack frame pointer at"
       r"\s{1,20}(?:[0-9a-f]{1,16}|\(ptrval\)) in \S{1,64} has bad value",
       "WARNING: kernel stack frame pointer has bad value", culprit="none",
       failure="warning"),
    # The generic kinds below only where the kernel prints them, at the
    # start of a line: drivers and programs say "WARNING:" mid-line.  A
    # WARN() always names its file; "WARNING: <text>" is a message
    # ("Unprivileged eBPF is enabled..."), a crash only if nothing else is.
    _k("warning-text", ('WARNING: ',),
       r"(?:^\s{0,8}|\[ )WARNING: (?P<what>[A-Za-z][^\[\]()]{2,80}?)"
       r"(?: detected)?[!.]?\s*(?:\]|$)", "WARNING: {what} in {culprit}",
       failure="warning", weak=True),

    # --- panics, the generic BUG: and Oops ---------------------------------
    _k("panic", ('Kernel panic - not syncing',),
       r"Kernel panic - not syncing: ?(?P<what>.{0,160})",
       "kernel panic: {what}", culprit="none", failure="panic", panic=True),
    _k("slab-track", ('INFO: ',),
       r"INFO: (?P<what>Allocated|Freed) in " + FUNC +
       r"\+0x", "INFO: {what} in {culprit}", culprit="head", failure="bug"),
    _k("busy-inodes", ('Busy inodes',),
       r"VFS: Busy inodes after unmount",
       "VFS: Busy inodes after unmount (use-after-free)", culprit="none",
       failure="bug"),
    _k("slab-bug", ('BUG ',),
       r"^\s{0,8}BUG \S{1,64} \([^)]{0,80}\): (?P<what>[A-Za-z][^\n]{2,60})",
       "BUG: {what} in {culprit}", failure="bug"),
    _k("bug", ('BUG: ',),
       r"(?:^\s{0,8}|\[ )BUG: (?P<what>\S[^\n]{0,80})", "BUG: {what} in "
       "{culprit}", culprit="ip", failure="bug"),
    # powerpc die() says why: "Oops: Kernel access of bad area, sig: 11
    # [#1]", "Oops: Exception in kernel mode, sig: 4" (arch/powerpc/kernel/
    # traps.c); the reason is part of the title, as the kernel's own.
    _k("oops", ('Oops',),
       r"^\s{0,8}Oops: (?P<what>[A-Z][A-Za-z ]{2,60}), sig: \d{1,3} ",
       "Oops: {what} in {culprit}", culprit="ip"),
    # x86 "Oops: 0002 [#1]", powerpc "Oops: Kernel access of bad area",
    # riscv "Oops [#1]" / "Oops - illegal instruction [#1]", mips "Oops[#1]:"
    # (die() prints the "[#N]"; "Oops: efitime: can't read time!" is a
    # driver's message)
    _k("oops", ('Oops',),
       r"^\s{0,8}Oops(?: - [^\[:]{2,60})?(?:: [0-9a-f]{4}\b|"
       r"(?:: .{0,200}?)? ?\[#?\d{1,6}\])",
       "Oops in {culprit}",
       culprit="ip"),
    # Any other die(): "<reason>: <code> [#N]", s390 with the instruction
    # length ("Unknown program exception: 0028 ilc:2 [#1] SMP",
    # arch/s390/kernel/dumpstack.c); the reason is the kind.
    _k("die", ('[#',),
       r"^\s{0,8}(?P<what>[A-Za-z][A-Za-z /-]{2,60}): [0-9a-f]{4} "
       r"(?:ilc:\d )?\[#\d{1,6}\]", "{what} in {culprit}", culprit="ip"),
)

# Which kinds may start on a line that holds a needle: a line is tried
# only against those (the cheap test that keeps analysis linear).
NEEDLES = {}
for _kind in KINDS:
    for _needle in _kind.needles:
        NEEDLES.setdefault(_needle, []).append(_kind)

# A crash prints several headers (BUG: ... / #PF: / Oops:, arm's "Unable
# to handle" / "Internal error", "kernel BUG at" / "invalid opcode"): a
# header this many lines into a report, before its trace, is the same crash.
HEAD_LINES = 40
# A fault's die line may come further: a console interleaves other
# callers' lines (without caller ids to tell them apart).
DIE_LINES_WITHIN = 160

# The trap a crash ends in (die()'s line): less telling than the header
# printed before it ("kernel BUG at" / "invalid opcode", "Unhandled fault"
# / "Internal error"), which names the report when its head holds one.
DIE_LINES = ("invalid-opcode", "oops", "internal-error")

# A panic with one of these messages was caused by the crash before it;
# any other panic is a crash of its own.
CAUSED_PANIC = lazy(
    r"Fatal exception|panic_on|Attempted to kill|Aiee, killing interrupt|"
    r"hung tasks|hung_task|[Ll]ockup|LOCKUP|RCU Stall|rcu_sched|kfence|"
    r"KASAN|KMSAN|UBSAN|Fatal hardware error|stack-protector|"
    r"corrupted stack end|stack overflow|Oops|scheduling while atomic|SError")

END = lazy(r"---\[ end (?:trace|Kernel panic)")

# Lines that start another stack than the report's own: allocation and
# free stacks, other CPUs' backtraces, lockdep's chains.  The report's own
# trace (the first frames after its first line, register dumps and "Code:"
# lines in between) ends at one of these.
OTHER_STACK = lazy(
    r"Allocated by task|Freed by task|^Allocated:|^Freed:|"
    r"NMI backtrace for cpu|Sending NMI from CPU|Showing all locks held|"
    r"Showing busy workqueues|the existing dependency chain|"
    r"other info that might help|Uninit was (?:created|stored)|"
    r"Last potentially related work|Second to last potentially|"
    r"The buggy address|Memory state around|^Task dump for CPU|"
    r"^Kernel panic - not syncing|^Kernel Offset|^---\[ end|"
    r"grace-period kthread stack dump|kthread starved for|"
    r"Stack dump where RCU GP kthread last ran")

# --- the anatomy of stack traces ---------------------------------------

# Where one CPU's or task's trace ends and another's starts (stalls).
OTHER_TRACE = lazy(r"NMI backtrace for cpu|Sending NMI|Showing all|"
                   r"^rcu: |^Task dump|^task:|^INFO: |Showing busy")
# RCU's own grace-period kthread, dumped in a stall report; the stalled
# CPU's trace starts at one of CPU_TRACE.
RCU_KTHREAD = lazy(r"grace-period kthread stack dump|kthread starved")
CPU_TRACE = lazy(r"NMI backtrace for cpu|Sending NMI|Task dump for CPU")
# Where a trap or fault enters the kernel's handling (x86 asm_exc_*,
# invalid_op, page_fault; arm64 el1h_64_sync; powerpc, riscv entries).
EXCEPTION_ENTRY = lazy(r"^asm_exc_|^invalid_op$|^page_fault$|"
                       r"^async_page_fault$|^el1h_64_sync$|^el1_sync$|"
                       r"^el1_error|^el1h_64_error$|^handle_exception$|"
                       r"^ret_from_exception$|^program_check_common")
# The stall detector printing from the timer tick; the tick's handlers
# (kernel/time/tick-sched.c, tick-common.c's periodic tick, tick-broadcast.c)
# that run it.
STALL_DETECTOR = lazy(r"^_{0,2}rcu_|update_process_times|"
                      r"^tick_(?:sched|periodic|handle_|nohz_handler)|"
                      r"nmi_cpu_backtrace|cpu_stall|"
                      r"dump_cpu_task|sched_show_task|watchdog_timer_fn")
# The timer interrupt's entry: stall and lockup detectors run above it.
IRQ_ENTRY = lazy(r"apic_timer_interrupt|^asm_sysvec_|^decrementer_common|"
                 r"^timer_interrupt$|^hardware_interrupt_common|"
                 r"^asm_call_(?:irq_)?on_stack|^el1_irq|^el1_interrupt|"
                 r"^el1h_64_irq|gic_handle_irq|^call_on_irq_stack|"
                 r"^__irq_svc|^do_IRQ|^common_interrupt|^ret_from_intr|"
                 r"^asm_exc_nmi$|^exc_nmi$|^do_nmi$|^end_repeat_nmi$|"
                 r"^ext_int_handler$|^io_int_handler$|^do_ext_irq$|"
                 r"^do_io_irq$|^mcck_int_handler$|^do_irq_async$")
# powerpc marks where an interrupt came in: "--- interrupt: 901 at f+0x"
# (before 5.x; "--- interrupt: 900" and the registers since): what
# follows is the interrupted context, f where it was interrupted.  0x900
# is the decrementer, the timer whose tick runs the stall detectors.
INTERRUPTED = lazy(r"^\s{0,8}--- interrupt: (?P<code>[0-9a-f]{1,4})"
                   r"(?: at (?P<func>\.?[A-Za-z_][\w.]{0,200})\+0x)?")
# The kernel's handling of a page fault (arch/x86/mm/fault.c, arm64's
# arch/arm64/mm/fault.c): plumbing when it reports a kernel fault, but the
# code under report when a debug check fires inside it while it handles
# a user-space fault (its trace ends at the exception entry).
FAULT_HANDLING = (r"^_{0,2}bad_area(?:_nosemaphore|_access_error)?$",
                  r"^do_user_addr_fault$", r"^exc_page_fault$",
                  r"^(?:do_)?page_fault$", r"^do_mem_abort$",
                  r"^do_translation_fault$", r"^do_page_fault$")
# The idle loop: a stalled CPU found here was stalled by an interrupt.
IDLE = lazy(r"^default_idle|^cpuidle_|^do_idle$|^arch_cpu_idle|^cpu_idle|"
            r"^native_safe_halt$|^acpi_idle|^mwait_idle|^intel_idle|"
            r"^poll_idle$|^psci_|^enabled_wait$|^arch_cpu_idle_enter$")

# Sanitizers' compiler-inserted checks (__asan_load8, __hwasan_check_x0_*):
# they run in the frame of the function they check.
INSTRUMENTATION = (r"^_{0,4}(?:sanitizer|asan|kasan|hwasan|msan|kmsan|kcsan|"
                   r"ubsan)_",)

# Frames that are never the culprit, searched in the name (``^`` anchors)
# after .isra/.cold/... are stripped: the report plumbing that prints a
# crash, and generic helpers (allocation, locking, memory and string
# functions, lists, device/kobject/workqueue teardown) that only ever pass
# a bad pointer on or wait for the real culprit.
SKIP = (
    # printing and trapping the report
    r"^_{0,2}dump_stack", r"^_{0,2}show_stack", r"^show_regs",
    r"^_{0,2}dump_backtrace", r"^_{0,2}(?:arch_|unwind_)?walk_stack",
    r"^_{0,2}(?:arch_)?stack_trace_", r"^show_trace", r"^print_", r"printk", r"panic",
    r"^__warn(?:_printk)?$",
    r"^_{0,2}warn_(?:slowpath\w{0,12}|alloc\w{0,12}|bogus\w{0,12})$", r"^_{0,2}(?:report|fixup)_bug", r"^handle_bug",
    r"^do_error_trap", r"_trap$", r"^_{0,2}do_trap",
    r"^(?:_{0,2}|asm_|handle_)(?:exc_|do_)?invalid_op$", r"^asm_exc_", r"^exc_", r"^die$", r"^__die",
    r"^oops_(?:begin|end|enter|exit)$", r"^_{0,2}sched_show_task$",
    # CFI/FineIBT padding before a function, never a frame of its own
    r"^__pfx_", r"^__cfi_",
    r"^_{0,2}bad_area(?:_nosemaphore|_access_error)?$", r"^bad_kernel_fault$",
    r"^(?:_{0,2}|hash__|exc_|asm_exc_|async_|handle_|__handle_)?(?:do_)?"
    r"page_fault$", r"do_user_addr_fault", r"do_kern_addr_fault",
    r"^no_context", r"kernelmode_fixup", r"do_mem_abort", r"do_kernel_fault",
    r"do_translation_fault", r"do_bad_area", r"__do_kernel_fault",
    r"el1_abort", r"el1_da", r"el1h_64_sync", r"^el1_sync", r"^do_el1",
    r"el1_dbg", r"bug_handler", r"call_break_hook", r"brk_handler",
    r"do_debug_exception", r"do_tag_check_fault", r"do_tag_recovery",
    r"program_check", r"ret_from_exception", r"^handle_exception",
    r"^print_tainted", r"^check_panic_on_warn", r"^_{0,2}nmi_cpu_backtrace",
    r"trigger_cpumask_backtrace", r"^_{0,4}(?:sanitizer|asan|kasan|hwasan|msan|"
    r"kmsan|kcsan|kfence|ubsan)_", r"^kcsan$", r"^check_memory_region",
    r"^check_region_inline$", r"^(?:read|write)_once_\w{0,20}nocheck",
    r"^_{0,2}(?:read|write)_once_size", r"^__(?:READ|WRITE)_ONCE$",
    r"^_{0,2}check_(?:heap_)?object", r"read_word_at_a_time",
    r"^_{0,2}debug_object", r"_is_static_object", r"lockdep",
    r"(?:^|_)lock_(?:acquired?|release)$", r"lock_class",
    r"^_{0,2}mark_lock",
    r"(?:reacquire|mark)_held_locks", r"validate_chain", r"check_prevs?_add",
    r"check_noncircular", r"check_deadlock", r"check_irq_usage",
    r"^valid_state", r"print_usage_bug", r"debug_check_no_",
    r"^_{0,3}might_(?:fault|sleep|resched)", r"^_{0,2}perf_trace_",
    r"(?:trace|lockdep)_(?:hard|soft)irq", r"lockdep_rcu", r"^should_fail",
    r"^fail_dump", r"assertfail", r"^ass(?:fail|warn)$",   # XFS's ASSERT()
    r"^__fortify", r"fortify_panic",
    # allocation and freeing
    r"^alloc_pages", r"^__alloc_pages", r"alloc_page$", r"^alloc_page_",
    # the k/v/kv*alloc family, whole names only: a kmalloc_oob_right test
    # or a driver's foo_kmalloc_buf is the caller's own code
    r"(?:^|_)k?v?[mzc]alloc(?:_(?:node|track_caller|trace|order|large|"
    r"array|noprof|reserve|range|user|caller|cache|buckets|bulk|gfp|"
    r"memcg|flags|lru|nolock))*$", r"^_{0,2}krealloc",
    r"^_{0,3}kmem_cache", r"^allocate_slab",
    r"^_{0,3}slab_(?:alloc|free|pre_alloc_hook|post_alloc_hook|free_hook|"
    r"free_freelist_hook|alloc_node|free_after_rcu_debug)",
    r"^_{0,2}new_slab", r"__alloc_frozen_pages",
    # the page allocator's internals (mm/page_alloc.c)
    r"^_{0,2}rmqueue", r"^_{0,2}get_free_pages$", r"^get_zeroed_page",
    r"^free_unref_(?:page|folio)", r"^free_pcppages_bulk$",
    r"^_{0,2}free_one_page$", r"^alloc_slab_page$", r"^_{0,2}folio_alloc",
    r"^vma_alloc_folio", r"^alloc_pages_mpol", r"^clear_page(?:_erms|_rep|"
    r"_orig)?$", r"^kernel_init_pages$", r"^_{0,2}alloc_pages_bulk",
    # the network page pool's allocator (net/core/page_pool.c)
    r"^_{0,2}page_pool_(?:alloc|refill|dma_map)",
    # page-owner, stack depot and debug-object tracking
    r"^_{0,2}(?:set|reset)_page_owner", r"^save_stack$",
    r"^_{0,2}stack_depot_save", r"^stack_depot_", r"^_{0,2}debug_object_",
    r"^debug_print_object$", r"^debug_check_no_obj_freed$",
    r"^_{0,2}folio_(?:alloc|unlock)", r"filemap_alloc_folio", r"__filemap_get_folio",
    r"find_or_create_page", r"do_read_cache_folio", r"read_cache_page",
    r"pagecache_get_page", r"grab_cache_page", r"^kv?free$", r"^kfree_",
    r"^__kfree", r"kfree_skb", r"^consume_skb", r"kmemdup", r"kstrdup",
    r"^pcpu_", r"post_alloc_hook", r"prep_new_page", r"get_page_from_freelist",
    r"^free_pages", r"^__free_pages", r"free_large_kmalloc", r"kmalloc_order",
    # locking and atomics
    # a lock wrapper says so in its last words (reiserfs_write_lock)
    r"(?:^|_)(?:spin|read|write)_(?:try)?(?:un)?lock(?:_\w{1,20})?$",
    r"raw_spin_rq", r"^_{0,2}queued_(?:spin|read|write)", r"^do_raw_",
    r"^_{0,2}(?:percpu_)?(?:down|up)(?:_(?:read|write|trylock|killable|"
    r"interruptible|timeout|common)\w{0,24})?$", r"^mutex_", r"^__mutex_",
    r"^rt_mutex_", r"^__rt_mutex", r"(?:^|_)rwsem(?:_|$)", r"owner_on_cpu", r"^osq_",
    # PREEMPT_RT's sleeping spinlocks and rwlocks (kernel/locking/
    # spinlock_rt.c, rwbase_rt.c, rtmutex.c)
    r"^_{0,2}rtlock_", r"^_{0,2}rt_(?:spin|read|write)_", r"^_{0,2}rwbase_",
    r"^_{0,3}(?:arch_|raw_)?atomic(?:64|_long)?_(?:dec|inc|read|set|or|xor|"
    r"and|add|sub|fetch|xchg|cmpxchg|try)", r"^_atomic_dec_and",
    r"^_{0,3}(?:arch_|generic_)?(?:test_and_)?(?:set|clear|change|test)_bit",
    r"__wake_up", r"^refcount_", r"^__refcount", r"^kref_", r"ref_tracker",
    r"^_{0,2}percpu_ref_",      # include/linux/percpu-refcount.h
    # include/linux/log2.h's arithmetic, out of line
    r"^_{0,2}(?:roundup|rounddown)_pow_of_two$", r"^_{0,2}ilog2_u(?:32|64)$",
    r"^_{0,2}seqprop_", r"^_{0,2}(?:raw_|read_|write_|do_write_|do_raw_)?"
    r"seqcount_", r"^_{0,2}(?:read|write)_seq(?:lock|begin|retry|unlock)",
    r"^_{0,2}lockdep_assert", r"^_{0,2}lockref_",
    r"^_{0,2}(?:arch|native|pv|__pv)_(?:queued_)?spin", r"^_raw_",
    r"^pv_wait", r"^_{0,2}lock_timer_base",
    r"^lock_sock", r"^release_sock", r"^inode_lock",
    r"^inode_unlock", r"task_rq_lock", r"^kernel_fpu_", r"stack_walk",
    r"^skb_(?:put|push|pull)$", r"^_{0,2}local_bh_(?:en|dis)able",
    r"^rcu_read_(?:un)?lock",
    # memory, string and user-copy helpers
    # string and memory helpers, by their last words (nla_memcpy,
    # sized_strscpy, strncpy_from_user)
    r"(?:^|_)mem(?:cpy|cmp|set|chr|move|dup)(?:_\w{1,16})?$",
    r"(?:^|_)str(?:n?cmp|n?cpy|lcpy|scpy|n?len|n?str|r?chr|n?dup)(?:_\w{1,16})?$", # a copy helper ends in its verb: bpf_prog_array_copy_to_user,
    # simple_copy_to_iter
    r"(?:^|_)copy_(?:to|from)_(?:user|iter)(?:_\w{1,16})?$", r"^_{0,2}copy_page_(?:to|from)_iter",
    r"^_{0,2}copy_folio_to_iter",
    r"^_{0,2}(?:get|put)_user(?:_nocheck)?(?:_\d{1,2})?$", r"^rep_movs", r"^copy_user_", r"^raw_copy_",
    r"^list_(?:add|del|replace|move|splice)", r"^__list_",
    r"^hlist_", r"^__hlist_", r"^rb_", r"^__rb_", r"_indirect_thunk_",
    r"return_thunk", r"^string$", r"^pointer$",
    r"(?:^|_)v?(?:sn|scn|s|bstr)?printf$",
    # lib/vsprintf.c's formatters
    r"^string_nocheck$", r"^(?:hex|widen|escaped|flags|uuid|bitmap_list|bitmap|"
    r"mac_address|ip[46]?_addr|ip[46]|symbol|resource|dentry_name|"
    r"file_dentry_name|bdev_name|netdev_bits|clock|fwnode|time_and|"
    r"restricted_pointer|address_val|device_node|special_hex_number|"
    r"default_pointer|err_ptr|va_format|fourcc)_?string$", r"^format_decode$",
    r"^ptr_to_id$", r"^number$", r"^_{0,2}vprintk", r"^_printk$",
    r"^printk_", r"^vprintk_",
    # stack unwinders (arch/*/kernel/unwind*.c, stacktrace.c)
    r"^_{0,2}unwind_(?:next_frame|get_return_address|frame)$",
    r"^_{0,2}(?:arch_)?stack_walk", r"^_{0,2}save_stack_trace",
    r"^walk_stackframe$", r"^unwind_backtrace$", r"^kernel_unwind",
    # kobject and timer setup (lib/kobject.c, kernel/time/timer.c)
    r"^_{0,2}init_timer", r"^timer_setup", r"^_{0,2}hrtimer_(?:start|init|"
    r"cancel|try_to_cancel)",
    r"(?:^|_)k?v?asprintf$", r"va_format",
    # device-managed wrappers of those helpers (lib/devres.c)
    r"^_{0,2}devm_(?:platform_)?ioremap", r"^dev_(?:info|notice|warn|"
    r"err|alert|crit|emerg|printk)", r"^_dev_", r"^__dev_printk",
    r"hex_dump_to_buffer", r"print_hex_dump", r"^crc\d", r"crc_itu_t",
    r"^__phys_addr", r"^(?:readb|readw|readl|readq|writeb|writew|writel|writeq)$", r"^logic_(?:in|out)",
    r"^__raw_(?:read|write)", r"^xas_(?:start|load|find)", r"^klist_",
    # teardown and waiting helpers that only wait for the real culprit
    r"^_{0,2}(?:try_to_)?del_timer", r"^_{0,2}timer_delete", r"^__timer_delete_sync", r"lock_timer_base",
    r"^_{0,2}(?:mod|add)_timer", r"sk_stop_timer_sync",
    r"^_{0,2}flush_(?:delayed_)?work(?:queue)?$", r"^_{0,2}cancel_(?:delayed_)?work", r"__cancel_work_timer", r"try_to_grab_pending", r"flush_workqueue",
    r"drain_workqueue", r"destroy_workqueue", r"^queue_work",
    r"^__queue_work", r"^insert_work", r"^_{0,2}(?:mod_|queue_)delayed_work",
    r"^kthread_stop", r"^finish_wait", r"^complete$", r"^_{0,2}wait_for_completion",
    r"^kobject_", r"add_uevent_var", r"get_device_parent", r"^device_add",
    r"^device_del", r"^device_unregister", r"^device_destroy",
    r"^device_release", r"devres_release_all", r"^device_for_each_child",
    r"(?:^|_)sysfs_remove", r"^device_remove_file", r"^put_device$",
    r"^usb_kill_urb", r"usb_kill_anchored_urbs", r"^usb_control_msg",
    r"^usb_hcd_submit_urb", r"^usb_submit_urb", r"^dummy_urb_enqueue",
    r"^iput$", r"^iput_final$", r"^ihold$", r"^dput$", r"fast_dput",
    r"^(?:drop|clear|set|inc)_nlink$", r"mark_buffer_dirty",
    r"find_lock_entries", r"^truncate_inode_pages", r"^_{0,2}rhashtable_lookup",
    r"cleanup_srcu_struct",
    r"^get_taint$", r"^ida_free", r"^unregister_netdev",
    r"rollback_registered",
    r"^i2c_del_adapter", r"^tty_unregister_device", r"^hwrng_unregister",
    r"^__unregister_client", r"extract_(?:user|iter)_to_sg",
)

# Source files whose functions are helpers by role, when a frame names
# its file (syzbot's symbolised traces, decode_stacktrace.sh, a WARN()'s
# "at file:line"): searched from the start of the path.  A frame here is
# skipped like a SKIP name, so helpers are passed over whatever they are
# called; what is left is where the caller's code is.
HELPER_FILES = (
    # the report machinery and sanitizers
    r"^mm/kasan/", r"^mm/kmsan/", r"^kernel/kcsan/", r"^mm/kfence/",
    r"^lib/ubsan\.c", r"^kernel/kcov\.c", r"^lib/dump_stack\.c",
    r"^kernel/panic\.c", r"^lib/bug\.c", r"^kernel/printk/",
    r"^lib/fault-inject\.c", r"^mm/failslab\.c", r"^mm/debug\.c",
    r"^arch/[a-z0-9_]{1,16}/kernel/(?:traps|dumpstack\w{0,8}|stacktrace|"
    r"unwind\w{0,16}|process)\.c", r"^kernel/stacktrace\.c",
    r"^arch/[a-z0-9_]{1,16}/mm/(?:fault|physaddr|extable)\.c",
    r"^include/linux/(?:kasan|kmsan|kcsan|kfence|instrumented|compiler|"
    r"compiler_types|fortify-string|printk|bug|once_lite)\.h",
    r"^include/asm-generic/(?:rwonce|bug)\.h",
    # allocators, page-owner, stack depot, debug objects
    r"^mm/page_alloc\.c", r"^mm/sl[aou]b\.c", r"^mm/slab_common\.c",
    r"^mm/mempool\.c", r"^mm/percpu[\w-]{0,16}\.c", r"^mm/util\.c",
    r"^mm/page_owner\.c", r"^mm/page_ext\.c", r"^lib/stackdepot\.c",
    r"^lib/debugobjects\.c", r"^mm/kmemleak\.c",
    r"^include/linux/(?:slab|gfp|page_ref|mm|mmap_lock)\.h",
    # locking, atomics, reference counts
    r"^kernel/locking/", r"^lib/lockref\.c", r"^lib/refcount\.c",
    r"^include/linux/(?:spinlock\w{0,12}|rwlock\w{0,12}|mutex|rwsem|"
    r"seqlock|lockdep|local_lock\w{0,12}|refcount|kref|atomic\w{0,16}|"
    r"bit_spinlock|rcupdate|srcu|percpu-rwsem|percpu-refcount|wait|"
    r"wait_bit|completion)\.h",
    r"^include/linux/atomic/", r"^include/asm-generic/(?:atomic\w{0,8}|"
    r"qspinlock|qrwlock|bitops/[\w-]{1,32})\.h",
    r"^arch/[a-z0-9_]{1,16}/include/asm/(?:atomic\w{0,8}|cmpxchg\w{0,8}|"
    r"bitops|spinlock|qspinlock|paravirt|barrier|preempt)\.h",
    # printing and formatting, strings, memory, user copies, lists
    r"^lib/vsprintf\.c", r"^lib/hexdump\.c", r"^lib/string\.c",
    r"^lib/string_helpers\.c", r"^lib/usercopy\.c", r"^lib/iov_iter\.c",
    r"^lib/devres\.c", r"^include/linux/log2\.h",
    r"^lib/list_debug\.c", r"^lib/rbtree\.c", r"^lib/find_bit\.c",
    r"^arch/[a-z0-9_]{1,16}/lib/(?:mem\w{0,16}|str\w{0,16}|copy_\w{0,24}|"
    r"usercopy\w{0,8}|csum\w{0,16}|crc\w{0,16}|getuser|putuser)\.[cS]",
    r"^include/linux/(?:string|uaccess|list|rculist|llist|rbtree\w{0,12}|"
    r"bitmap|bitops|overflow|err|kernel|minmax|uio)\.h",
    # crypto library primitives
    r"^lib/crypto/", r"^arch/[a-z0-9_]{1,16}/lib/crypto/",
    # kobject, timer and workqueue setup
    r"^lib/kobject\w{0,8}\.c", r"^kernel/time/timer\.c",
    r"^kernel/time/hrtimer\.c", r"^include/linux/(?:timer|hrtimer|"
    r"workqueue|kobject)\.h",
)

# Dispatchers: the loop that stalled runs in the frame just before the
# first of these (kernel/rcu/tree_stall.h and kernel/watchdog.c report
# wherever the tick caught it).  The right side says which frames anchor.
DISPATCHERS = (
    r"process_one_work", r"worker_thread", r"do_syscall_", r"do_fast_syscall",
    r"__do_fast_syscall", r"entry_SYSCALL", r"entry_SYSENTER",
    r"entry_INT80", r"sysenter_dispatch", r"system_call", r"tracesys",
    r"el0_svc", r"invoke_syscall", r"do_el0_svc", r"el0t_64_sync",
    r"ret_fast_syscall", r"ret_from_syscall", r"handle_syscall",
    r"__netif_receive_skb", r"netif_receive_skb", r"__do_softirq",
    r"do_softirq", r"handle_softirqs", r"__irq_exit_rcu", r"irq_exit",
    r"call_timer_fn", r"__run_timers", r"run_timer_softirq",
    r"__run_timer_base", r"run_timer_base", r"expire_timers", r"__hrtimer_run",
    r"^__run_hrtimer$",         # calls an hrtimer's function, as call_timer_fn
    r"hrtimer_run", r"hrtimer_interrupt", r"run_ksoftirqd",
    r"smpboot_thread_fn", r"^kthread$", r"ret_from_fork", r"start_secondary",
    r"cpu_startup_entry", r"secondary_startup", r"rest_init",
    r"do_one_initcall",         # an initcall, as process_one_work a work item
    r"^kernel_init$", r"^kernel_init_freeable$",    # the init thread's entry
    r"start_kernel", r"tasklet_action", r"tasklet_hi_action",
    r"vfs_write", r"vfs_read", r"vfs_iter_read", r"vfs_iter_write",
    r"do_iter_read", r"do_iter_write", r"do_iter_readv_writev",
    r"call_read_iter", r"call_write_iter", r"new_sync_read",
    r"new_sync_write", r"vfs_ioctl", r"sys_ioctl", r"compat_ioctl",
    r"compat_sys_ioctl", r"blkdev_ioctl", r"blkdev_driver_ioctl",
    r"call_mmap", r"mmap_region", r"do_mmap", r"do_dentry_open",
    r"vfs_open", r"sock_sendmsg", r"__sock_sendmsg", r"sock_recvmsg",
    r"sock_release", r"__sock_release", r"sock_common_setsockopt",
    r"kernel_setsockopt", r"kernel_listen", r"kernel_accept",
    r"sk_common_release", r"sock_mmap", r"sock_do_ioctl", r"sock_ioctl",
    r"compat_sock_ioctl", r"nfnetlink_rcv_msg", r"rtnetlink_rcv_msg",
    r"netlink_dump", r"sys_socketpair", r"sys_connect",
    r"sys_setsockopt", r"sys_getsockopt",     # to the protocol's own
    r"__fput", r"task_work_run", r"exit_to_user",
    r"exit_to_usermode", r"syscall_exit_to_user", r"irqentry_exit",
    r"do_notify_resume",        # arm64/powerpc return-to-user work
    r"smp_call_function",
    r"^\w{1,64}_compat_ioctl$",     # a driver's compat entry forwards
)

# A blocked task waits in scheduler, lock and wait functions; the culprit
# is the first frame outside them.  Waits for RCU and for the RTNL are
# buckets of their own: whoever waits there waits for the same thing.
HUNG_BUCKETS = ((lazy(r"rtnl_lock"), "rtnl_lock"),
                (lazy(r"synchronize_(?:rcu|srcu|net|sched)"), "synchronize_rcu"))
HUNG_SKIP = (
    # the scheduler (kernel/sched/core.c) and timed sleeps
    r"^_{0,3}schedule(?:_\w{1,30})?$", r"^_{0,3}preempt_schedule",
    r"^io_schedule", r"^_{0,2}cond_resched", r"^irqentry_exit_cond_resched$",
    r"^rcu_note_context_switch$", r"^__sched_text_start$", r"^context_switch$", r"^_{0,2}switch_to",
    r"^finish_task_switch", r"^_{0,2}(?:m|u|s|f)sleep(?:_\w{1,20})?$",
    r"^_{0,2}(?:do_|hrtimer_|clock_|common_)?nanosleep", r"^kthread_",
    # generic waits (kernel/sched/wait.c, wait_bit.c, completion.c and
    # include/linux/wait.h's wait_event*): "wait" as the name's first
    # word; a subsystem's own wait (jbd2_log_wait_commit) says what is
    # waited for, and stays
    r"^_{0,3}(?:do_|out_of_line_|io_|try_|prepare_to_|finish_|bit_|var_|"
    r"folio_|page_|inode_|xa_|init_)?s?wait(?:_\w{1,40})?$", r"^autoremove_wake",
    r"^_{0,2}(?:folio|page|buffer|inode)_wait", r"^_{0,2}wait_on_",
    r"^(?:bit|var)_wait", r"^sleep_on_(?:buffer|page)$",
    # condition-variable waits of the Solaris Porting Layer (ZFS's spl
    # module: cv_wait, cv_timedwait_hires, __cv_wait_io, cv_wait_common)
    r"^_{0,2}cv_(?:timed)?wait",
    # the page cache waiting for writeback (mm/filemap.c, fs/sync.c)
    r"(?:^|_)fdatawait(?:_|$)", r"write_and_wait", r"_wait_writeback",
    r"^_{0,2}(?:wait_for|try_wait_for)_completion", r"^complete(?:_all)?$",
    # locks: their slow paths and the wrappers named after taking one
    r"^_{0,2}(?:rt_)?mutex_", r"^_{0,2}(?:percpu_)?(?:down|up)(?:_\w{1,30})?$",
    r"(?:^|_)rwsem(?:_|$)", r"slowlock(?:_\w{1,20})?$", r"slowpath$",
    r"_(?:try)?lock(?:_\w{1,30})?$", r"^lock_(?:sock|page|folio|buffer)",
    r"^_{0,2}futex_wait", r"^_{0,2}(?:try_to_)?freeze(?:r_\w{1,20})?$",
    r"^__refrigerator$",
    # flushing and cancelling work, RCU barriers: waits for other code
    r"^_{0,2}synchronize_", r"^_{0,2}rcu_barrier",
    r"^_{0,2}(?:flush|cancel)_(?:delayed_)?work", r"^_{0,2}flush_workqueue",
    # what a stack scanned without frame pointers keeps of a timed wait:
    # the clock it read (kernel/time/timekeeping.c, the TSC) and the wait
    # queues' wake callbacks (kernel/sched/wait.c, wait_bit.c)
    r"^ktime_get", r"^read_tsc$",
    r"^(?:autoremove|default|woken|var|bit)_wake_function$",
    r"^wake_(?:atomic_t|bit)_function$",
)

# At lockdep's acquisition site ("at: f+0x..") the function that takes the
# lock is the culprit, whatever it is elsewhere (a teardown helper, the
# percpu allocator, might_fault's mmap_lock annotation): only the lock
# primitives themselves, when inlining names them, are passed over.
LOCK_SITE_SKIP = (
    r"(?:^|_)(?:spin|read|write|mutex|rt_mutex|ww_mutex|rtlock)_(?:try)?"
    r"(?:un)?lock", r"^_{0,2}(?:down|up)(?:_read|_write)?(?:_[a-z]{1,20})?$",
    r"rwsem", r"^_{0,2}raw_", r"^_raw_", r"^do_raw_", r"^queued_",
    r"^_{0,2}lock_(?:acquire|release)", r"lockdep", r"^_{0,2}seqcount",
    r"^_{0,2}(?:read|write)_seq", r"^rcu_read_(?:un)?lock",
    r"^percpu_(?:down|up)_", r"^_{0,2}mutex_", r"^_{0,2}rt_mutex_",
    # the inline wrappers that only take a lock (include/linux/fs.h, sock.h)
    r"^inode_(?:un)?lock(?:_shared|_nested)?$", r"^lock_sock",
    r"^release_sock",
    # lockdep annotations, not locks: the mmap lock a fault may take, a
    # flush waiting for work (its "lock" is the work's or the queue's);
    # and tracing
    r"might_fault", r"might_sleep", r"might_lock", r"^_{0,2}flush_work",
    r"^drain_workqueue", r"^_{0,2}cancel_(?:delayed_)?work", r"perf_trace",
    # an allocation's fs_reclaim annotation: the allocator entry points
    r"(?:^|_)k?v?[mzc]alloc(?:_[a-z]{1,20})*$", r"^_{0,3}kmem_cache_",
    r"^_{0,3}slab_(?:alloc|pre_alloc_hook)", r"^_{0,2}alloc_pages",
    r"^prepare_alloc_pages$", r"^_{0,2}fs_reclaim_acquire$",
)
# An inline function named after the lock it takes (ntfs3's ni_lock and
# ni_lock_dir, mmap_read_lock) only takes it: the site is the function
# it is inlined into, the next "at:" of decode_stacktrace's inline chain.
INLINE_LOCK_WRAPPER = lazy(r"_(?:un)?lock(?:_[a-z]{1,12})?$")
