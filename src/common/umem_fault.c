/* SPDX-License-Identifier: MIT */
/* umem back end for x86-64: caller memory is touched by a few instructions
 * whose addresses are in a fixup table, the way kernels copy from user space.
 * A SIGSEGV/SIGBUS raised by the CPU at one of them resumes at its fixup
 * label (the table below, and for the inline accesses of umem_arch.h the
 * module's section umem_extable), so the routine returns "fault" instead of the process dying.  The
 * good path is exactly the copy: no syscall, no thread-local state, no
 * setjmp.
 *
 * The handler recovers only a kernel-generated fault (si_code > 0) whose
 * program counter is one of the listed instructions; anything else goes to
 * the handler that was installed before ours, as if ours were not there:
 * its mask and flags are honoured, SIG_DFL (and SIG_IGN, which the kernel
 * does not honour for a fault either) is restored and the fault is taken
 * again, which kills the process with the right signal and core.  A program
 * that later installs its own SIGSEGV handler without chaining to ours loses
 * the guarantee: a bad pointer then reaches that handler.
 *
 * The handler is async-signal-safe and touches no thread-local storage (a
 * dlopen'ed module's TLS may be allocated lazily, with malloc).  Each module
 * that links wsp_common (libwsp, every provider) has its own table and
 * handler, chained like any other; since a handler of ours may be the one
 * another handler chains to, the module is pinned (RTLD_NODELETE) when it
 * installs it, so a dlclose after the last WSPCleanup cannot unmap it. */
#include "common/sys.h"
#include "umem_arch.h"

#if UMEM_FAULT_COPY

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

/* A symbol the fixup table can name (hidden: each module has its own). */
#define UMEM_LABEL(name) ".globl " #name "\n.hidden " #name "\n" #name ":\n"

/* size_t umem_x86_copy(void *dst, const void *src, size_t n): 0 on success,
 * nonzero when an access faulted.  Below 32 bytes (the out-parameters,
 * WSABUFs and addresses of every call) two overlapping pairs of moves of the
 * widest size that fits (16..31: four quadwords, 8..15: two, 4..7: two
 * doublewords, then bytes), all loads before the stores: a short `rep movsb`
 * costs more than the copy, and a loop costs more than the overlap.  From 32
 * on `rep movsb`, whose fault leaves RCX = bytes left (>= 1) and resumes
 * after it.  Loads and stores stay inside [src, src+n) and [dst, dst+n); an
 * overlapping store writes the octets the other one wrote, with the same
 * values.  The fixed-size copies and the probes are inline (umem_arch.h),
 * with their entries in the section umem_extable instead of this table. */
/* clang-format off */
__asm__(".text\n"
        ".p2align 4\n"
        ".type umem_x86_copy, @function\n"
        UMEM_LABEL(umem_x86_copy)
        "  cmpq $32, %rdx\n"
        "  jae 3f\n"
        "  cmpq $16, %rdx\n"
        "  jae 6f\n"
        "  cmpq $8, %rdx\n"
        "  jae 7f\n"
        "  cmpq $4, %rdx\n"
        "  jae 8f\n"
        "2:testq %rdx, %rdx\n"
        "  jz 4f\n"
        UMEM_LABEL(umem_x86_copy_b_ld)
        "  movb (%rsi), %al\n"
        UMEM_LABEL(umem_x86_copy_b_st)
        "  movb %al, (%rdi)\n"
        "  incq %rsi\n"
        "  incq %rdi\n"
        "  decq %rdx\n"
        "  jmp 2b\n"
        "4:xorl %eax, %eax\n"
        "  ret\n"
        "6:\n"
        UMEM_LABEL(umem_x86_copy_o_ld1)
        "  movq (%rsi), %rax\n"
        UMEM_LABEL(umem_x86_copy_o_ld2)
        "  movq 8(%rsi), %rcx\n"
        UMEM_LABEL(umem_x86_copy_o_ld3)
        "  movq -16(%rsi,%rdx), %r8\n"
        UMEM_LABEL(umem_x86_copy_o_ld4)
        "  movq -8(%rsi,%rdx), %r9\n"
        UMEM_LABEL(umem_x86_copy_o_st1)
        "  movq %rax, (%rdi)\n"
        UMEM_LABEL(umem_x86_copy_o_st2)
        "  movq %rcx, 8(%rdi)\n"
        UMEM_LABEL(umem_x86_copy_o_st3)
        "  movq %r8, -16(%rdi,%rdx)\n"
        UMEM_LABEL(umem_x86_copy_o_st4)
        "  movq %r9, -8(%rdi,%rdx)\n"
        "  xorl %eax, %eax\n"
        "  ret\n"
        "7:\n"
        UMEM_LABEL(umem_x86_copy_q_ld1)
        "  movq (%rsi), %rax\n"
        UMEM_LABEL(umem_x86_copy_q_ld2)
        "  movq -8(%rsi,%rdx), %rcx\n"
        UMEM_LABEL(umem_x86_copy_q_st1)
        "  movq %rax, (%rdi)\n"
        UMEM_LABEL(umem_x86_copy_q_st2)
        "  movq %rcx, -8(%rdi,%rdx)\n"
        "  xorl %eax, %eax\n"
        "  ret\n"
        "8:\n"
        UMEM_LABEL(umem_x86_copy_l_ld1)
        "  movl (%rsi), %eax\n"
        UMEM_LABEL(umem_x86_copy_l_ld2)
        "  movl -4(%rsi,%rdx), %ecx\n"
        UMEM_LABEL(umem_x86_copy_l_st1)
        "  movl %eax, (%rdi)\n"
        UMEM_LABEL(umem_x86_copy_l_st2)
        "  movl %ecx, -4(%rdi,%rdx)\n"
        "  xorl %eax, %eax\n"
        "  ret\n"
        "3:movq %rdx, %rcx\n"
        UMEM_LABEL(umem_x86_copy_at)
        "  rep movsb\n"
        UMEM_LABEL(umem_x86_copy_fix)
        "  movq %rcx, %rax\n"
        "  ret\n"
        UMEM_LABEL(umem_x86_fail)
        "  movl $1, %eax\n"
        "  ret\n"
        ".size umem_x86_copy, .-umem_x86_copy\n");
/* clang-format on */

extern UMEM_HIDDEN const char umem_x86_copy_b_ld[], umem_x86_copy_b_st[], umem_x86_copy_o_ld1[],
    umem_x86_copy_o_ld2[], umem_x86_copy_o_ld3[], umem_x86_copy_o_ld4[], umem_x86_copy_o_st1[],
    umem_x86_copy_o_st2[], umem_x86_copy_o_st3[], umem_x86_copy_o_st4[], umem_x86_copy_q_ld1[],
    umem_x86_copy_q_ld2[], umem_x86_copy_q_st1[], umem_x86_copy_q_st2[], umem_x86_copy_l_ld1[],
    umem_x86_copy_l_ld2[], umem_x86_copy_l_st1[], umem_x86_copy_l_st2[], umem_x86_copy_at[],
    umem_x86_copy_fix[], umem_x86_fail[];

/* The exception table: faulting instruction -> where to resume.  Every
 * routine returns nonzero from its fixup. */
static const struct umem_fixup {
    const char *at, *fix;
} umem_fixups[] = {
    {umem_x86_copy_b_ld, umem_x86_fail},   {umem_x86_copy_b_st, umem_x86_fail},
    {umem_x86_copy_o_ld1, umem_x86_fail},  {umem_x86_copy_o_ld2, umem_x86_fail},
    {umem_x86_copy_o_ld3, umem_x86_fail},  {umem_x86_copy_o_ld4, umem_x86_fail},
    {umem_x86_copy_o_st1, umem_x86_fail},  {umem_x86_copy_o_st2, umem_x86_fail},
    {umem_x86_copy_o_st3, umem_x86_fail},  {umem_x86_copy_o_st4, umem_x86_fail},
    {umem_x86_copy_q_ld1, umem_x86_fail},  {umem_x86_copy_q_ld2, umem_x86_fail},
    {umem_x86_copy_q_st1, umem_x86_fail},  {umem_x86_copy_q_st2, umem_x86_fail},
    {umem_x86_copy_l_ld1, umem_x86_fail},  {umem_x86_copy_l_ld2, umem_x86_fail},
    {umem_x86_copy_l_st1, umem_x86_fail},  {umem_x86_copy_l_st2, umem_x86_fail},
    {umem_x86_copy_at, umem_x86_copy_fix},
};

/* [0] SIGSEGV, [1] SIGBUS: what was installed before us. Written once by
 * sigaction() before our handler can run for that signal. */
static struct sigaction umem_prev[2];

static void umem_set_default(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sys_sigaction(sig, &dfl, NULL);
}

/* Pass the signal on as the kernel would have delivered it to prev. */
static void umem_chain(int sig, siginfo_t *si, void *ctx)
{
    const struct sigaction *prev = &umem_prev[sig == SIGBUS];
    int saved = errno;
    int fault = si != NULL && si->si_code > 0;
    int info = (prev->sa_flags & SA_SIGINFO) != 0;
    if (!info && (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN)) {
        /* The default action.  SIG_IGN is not honoured for a fault by the
         * kernel either (it kills); a SIGSEGV sent with kill() is ignored. */
        if (prev->sa_handler == SIG_IGN && !fault)
            return;
        umem_set_default(sig);
        if (!fault)
            raise(sig); /* not blocked: we run with SA_NODEFER */
        errno = saved;
        return; /* a fault: the instruction runs again and faults for real */
    }
    sigset_t mask = prev->sa_mask;
    if (!(prev->sa_flags & SA_NODEFER))
        sigaddset(&mask, sig);
    pthread_sigmask(SIG_BLOCK, &mask, NULL); /* sigreturn restores ours */
    if (prev->sa_flags & SA_RESETHAND)
        umem_set_default(sig);
    errno = saved;
    if (info)
        prev->sa_sigaction(sig, si, ctx);
    else
        prev->sa_handler(sig);
}

/* The inline accesses' entries (umem_arch.h, UMEM_EX): this module's
 * section, bounded by the linker's symbols (hidden: each module scans its
 * own; weak: a module without an inline access has no section). */
struct umem_ex {
    int32_t at, fix; /* offsets from the field itself */
};
extern UMEM_HIDDEN const struct umem_ex __start_umem_extable[] __attribute__((weak));
extern UMEM_HIDDEN const struct umem_ex __stop_umem_extable[] __attribute__((weak));

/* Where to resume after a fault at pc, or 0 when pc is none of ours. */
static uintptr_t umem_fixup_for(uintptr_t pc)
{
    for (size_t i = 0; i < sizeof umem_fixups / sizeof umem_fixups[0]; i++)
        if (pc == (uintptr_t)umem_fixups[i].at)
            return (uintptr_t)umem_fixups[i].fix;
    for (const struct umem_ex *e = __start_umem_extable; e != NULL && e < __stop_umem_extable; e++)
        if (pc == (uintptr_t)&e->at + (intptr_t)e->at)
            return (uintptr_t)&e->fix + (intptr_t)e->fix;
    return 0;
}

static void umem_on_fault(int sig, siginfo_t *si, void *ctx)
{
    if (si != NULL && si->si_code > 0 && ctx != NULL) {
        greg_t *pc = &((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
        uintptr_t fix = umem_fixup_for((uintptr_t)*pc);
        if (fix != 0) {
            *pc = (greg_t)fix;
            return;
        }
    }
    umem_chain(sig, si, ctx);
}

/* Keep this module mapped for the life of the process (see the top). */
static void umem_pin_module(void)
{
    Dl_info di;
    if (dladdr((const void *)umem_fixups, &di) != 0 && di.dli_fname != NULL)
        (void)dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

void umem_arch_init(void)
{
    umem_pin_module();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = umem_on_fault;
    /* SA_NODEFER: umem_chain applies the previous handler's own mask;
     * SA_ONSTACK: a stack overflow still reaches an application handler that
     * runs on an alternate stack. */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    static const int sigs[2] = {SIGSEGV, SIGBUS};
    for (int k = 0; k < 2; k++) {
        /* Read the previous handler before ours can run; only if another
         * thread changed it in between is the value from the swap needed. */
        struct sigaction was;
        memset(&was, 0, sizeof was);
        sys_sigaction(sigs[k], NULL, &umem_prev[k]);
        sys_sigaction(sigs[k], &sa, &was);
        if (was.sa_sigaction != umem_prev[k].sa_sigaction || was.sa_flags != umem_prev[k].sa_flags)
            umem_prev[k] = was;
    }
}

#else
typedef int umem_fault_unused; /* ISO C wants a declaration in every file */
#endif
