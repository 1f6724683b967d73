/*
 * kentry native snippet harness (DESIGN.md §5, oracle 1: the host CPU).
 *
 * Reads a batch of cases from stdin, runs each case's machine code natively
 * at a fixed address with chosen registers, flags, XMM registers, MXCSR and
 * data-area contents, and writes the resulting architectural state to stdout.
 * The TypeScript driver (native.ts) owns the binary formats below; keep the
 * two in step (the magic numbers carry a version).
 *
 * Address space (MAP_FIXED_NOREPLACE, identical in every run):
 *   CODE_BASE  0x10000000  one RWX page: the snippet, then the 6-byte exit
 *                          jump `jmp *disp32(%rip)` through the page's last
 *                          quad (CODE_BASE+0xff8 = &kentry_exit); every other
 *                          byte of the page is 0xcc (int3)
 *   CODE_BASE+0x1000       one PROT_NONE guard page
 *   DATA_BASE  0x20000000  DATA_SIZE bytes RW (the stack is at its top)
 *   DATA_BASE+DATA_SIZE    one PROT_NONE guard page
 *   DATA_BASE-0x1000       one PROT_NONE guard page
 *
 * Entry: the GPRs are loaded from a global, then `iretq` loads RIP, RFLAGS
 * and RSP at once (so a TF set in the input traps after the snippet's first
 * instruction, like a debugger's single step).
 * Exit: the exit jump reaches kentry_exit, which stores every GPR, RFLAGS,
 * XMM0-15 and MXCSR without touching the snippet's stack (it switches to a
 * scratch stack first), then restores the host's state and returns to C.
 * Faults: the handler (on an alternate stack) copies the state at the fault
 * out of the ucontext, then rewrites the ucontext so that sigreturn resumes
 * at kentry_resume on the host stack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x10000000UL
#define CODE_SIZE 0x1000UL
#define DATA_BASE 0x20000000UL
#define DATA_SIZE 0x4000UL
#define MAX_CODE 256
#define EXIT_JUMP_LEN 6
#define MAX_PATCHES 4096

#define IN_MAGIC 0x3148524bU  /* "KRH1" little-endian */
#define OUT_MAGIC 0x3153524bU /* "KRS1" */

/* Input RFLAGS bits a case may choose: CF PF AF ZF SF TF DF OF AC. */
#define RFLAGS_CHOOSABLE 0x40dd5UL
#define RFLAGS_FIXED 0x0202UL /* bit 1 and IF */

struct cpu_state {
  uint64_t gpr[16]; /*   0: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (encoding order) */
  uint64_t rip;     /* 128 */
  uint64_t rflags;  /* 136 */
  uint32_t mxcsr;   /* 144 */
  uint32_t pad;     /* 148 */
  uint8_t xmm[16][16]; /* 152 */
};                     /* 408 */
_Static_assert(sizeof(struct cpu_state) == 408, "cpu_state layout is shared with the assembly");

struct cpu_state g_in, g_out;
uint64_t g_iret[5]; /* rip, cs, rflags, rsp, ss */
uint64_t g_host_rsp;
uint32_t g_host_mxcsr;
uint16_t g_host_fcw;
uint64_t g_scratch[8] __attribute__((aligned(16)));

static volatile sig_atomic_t g_running;
static volatile int g_case_index;
static int g_timeout;
static struct {
  int32_t signo, code;
  uint64_t addr, trapno, err, cr2;
} g_sig;

void kentry_enter(void);
void kentry_exit(void);
void kentry_resume(void);
void kentry_on_fault(int, siginfo_t *, void *);
void kentry_on_alarm(int);

#define XMM_LOADS(op, dir) \
  op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define LOAD_XMM(n) "movdqu g_in+152+16*" #n "(%rip), %xmm" #n "\n"
#define SAVE_XMM(n) "movdqu %xmm" #n ", g_out+152+16*" #n "(%rip)\n"

__asm__(
    ".text\n"
    ".globl kentry_enter\n"
    ".type kentry_enter,@function\n"
    "kentry_enter:\n"
    "  push %rbp\n  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  sub $8, %rsp\n"
    "  mov %rsp, g_host_rsp(%rip)\n"
    "  stmxcsr g_host_mxcsr(%rip)\n"
    "  fnstcw g_host_fcw(%rip)\n"
    XMM_LOADS(LOAD_XMM, 0)
    "  ldmxcsr g_in+144(%rip)\n"
    "  lea g_iret(%rip), %rsp\n"
    "  mov g_in+0*8(%rip), %rax\n"
    "  mov g_in+1*8(%rip), %rcx\n"
    "  mov g_in+2*8(%rip), %rdx\n"
    "  mov g_in+3*8(%rip), %rbx\n"
    "  mov g_in+5*8(%rip), %rbp\n"
    "  mov g_in+6*8(%rip), %rsi\n"
    "  mov g_in+7*8(%rip), %rdi\n"
    "  mov g_in+8*8(%rip), %r8\n"
    "  mov g_in+9*8(%rip), %r9\n"
    "  mov g_in+10*8(%rip), %r10\n"
    "  mov g_in+11*8(%rip), %r11\n"
    "  mov g_in+12*8(%rip), %r12\n"
    "  mov g_in+13*8(%rip), %r13\n"
    "  mov g_in+14*8(%rip), %r14\n"
    "  mov g_in+15*8(%rip), %r15\n"
    "  iretq\n"
    ".size kentry_enter, .-kentry_enter\n"
    "\n"
    ".globl kentry_exit\n"
    ".type kentry_exit,@function\n"
    "kentry_exit:\n"
    "  mov %rsp, g_out+4*8(%rip)\n"
    "  lea g_scratch+64(%rip), %rsp\n"
    "  pushfq\n"
    "  popq g_out+136(%rip)\n"
    "  pushq $0x202\n"
    "  popfq\n" /* AC off before the (8-byte aligned) XMM stores */
    "  mov %rax, g_out+0*8(%rip)\n"
    "  mov %rcx, g_out+1*8(%rip)\n"
    "  mov %rdx, g_out+2*8(%rip)\n"
    "  mov %rbx, g_out+3*8(%rip)\n"
    "  mov %rbp, g_out+5*8(%rip)\n"
    "  mov %rsi, g_out+6*8(%rip)\n"
    "  mov %rdi, g_out+7*8(%rip)\n"
    "  mov %r8, g_out+8*8(%rip)\n"
    "  mov %r9, g_out+9*8(%rip)\n"
    "  mov %r10, g_out+10*8(%rip)\n"
    "  mov %r11, g_out+11*8(%rip)\n"
    "  mov %r12, g_out+12*8(%rip)\n"
    "  mov %r13, g_out+13*8(%rip)\n"
    "  mov %r14, g_out+14*8(%rip)\n"
    "  mov %r15, g_out+15*8(%rip)\n"
    XMM_LOADS(SAVE_XMM, 0)
    "  stmxcsr g_out+144(%rip)\n"
    ".globl kentry_resume\n"
    "kentry_resume:\n"
    "  mov g_host_rsp(%rip), %rsp\n"
    "  pushq $0x202\n"
    "  popfq\n" /* clears DF, TF, AC whatever the snippet left */
    "  fninit\n"
    "  fldcw g_host_fcw(%rip)\n"
    "  ldmxcsr g_host_mxcsr(%rip)\n"
    "  add $8, %rsp\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n  pop %rbp\n"
    "  ret\n"
    ".size kentry_exit, .-kentry_exit\n"
    "\n"
    /* Signal handlers start here: the kernel clears TF and DF for a handler
       but not AC, and a snippet may leave AC set; C code must not run with it. */
    "kentry_on_fault:\n"
    "  pushfq\n  andl $~0x40000, (%rsp)\n  popfq\n"
    "  jmp on_fault\n"
    "kentry_on_alarm:\n"
    "  pushfq\n  andl $~0x40000, (%rsp)\n  popfq\n"
    "  jmp on_alarm\n");

static void die(const char *msg) {
  fprintf(stderr, "kentry-native: %s\n", msg);
  exit(2);
}

static void put_str(const char *s) {
  ssize_t r = write(2, s, strlen(s));
  (void)r;
}

static void put_num(unsigned long v) {
  char buf[24];
  int i = sizeof buf;
  buf[--i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v && i > 0);
  put_str(buf + i);
}

static const int reg_of_gpr[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                   REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

void on_fault(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  if (!g_running) {
    put_str("kentry-native: signal ");
    put_num((unsigned long)sig);
    put_str(" outside a snippet (harness bug) at rip ");
    put_num((unsigned long)g[REG_RIP]);
    put_str("\n");
    _exit(70);
  }
  g_running = 0;
  for (int i = 0; i < 16; i++) g_out.gpr[i] = (uint64_t)g[reg_of_gpr[i]];
  g_out.rip = (uint64_t)g[REG_RIP];
  g_out.rflags = (uint64_t)g[REG_EFL];
  if (uc->uc_mcontext.fpregs) {
    memcpy(g_out.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof g_out.xmm);
    g_out.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
  }
  g_sig.signo = sig;
  g_sig.code = si->si_code;
  g_sig.addr = (uint64_t)(uintptr_t)si->si_addr;
  g_sig.trapno = (uint64_t)g[REG_TRAPNO];
  g_sig.err = (uint64_t)g[REG_ERR];
  g_sig.cr2 = (uint64_t)g[REG_CR2]; /* uc_mcontext.cr2 in the kernel's sigcontext */
  /* Resume in the harness: host stack, sane flags (kentry_resume restores MXCSR and x87). */
  g[REG_RIP] = (greg_t)(uintptr_t)kentry_resume;
  g[REG_RSP] = (greg_t)g_host_rsp;
  g[REG_EFL] = 0x202;
}

void on_alarm(int sig) {
  (void)sig;
  put_str("kentry-native: watchdog: the batch did not finish within ");
  put_num((unsigned long)g_timeout);
  put_str(" s; stuck in case #");
  put_num((unsigned long)g_case_index);
  put_str(g_running ? " (inside the snippet: an endless loop?)\n" : " (in the harness)\n");
  _exit(124);
}

static void map_fixed(unsigned long addr, unsigned long size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || (unsigned long)p != addr) {
    fprintf(stderr, "kentry-native: cannot map %#lx (+%#lx): %s\n", addr, size, strerror(errno));
    exit(2);
  }
}

/* ---- byte-stream helpers (little-endian host) ---- */

static unsigned char *in_buf;
static size_t in_len, in_pos;

static const void *take(size_t n) {
  if (in_len - in_pos < n) die("truncated input");
  const void *p = in_buf + in_pos;
  in_pos += n;
  return p;
}
static uint32_t take32(void) {
  uint32_t v;
  memcpy(&v, take(4), 4);
  return v;
}
static uint64_t take64(void) {
  uint64_t v;
  memcpy(&v, take(8), 8);
  return v;
}

static unsigned char *out_buf;
static size_t out_len, out_cap;

static void emit(const void *p, size_t n) {
  if (out_len + n > out_cap) {
    while (out_len + n > out_cap) out_cap = out_cap ? out_cap * 2 : (1 << 20);
    out_buf = realloc(out_buf, out_cap);
    if (!out_buf) die("out of memory");
  }
  memcpy(out_buf + out_len, p, n);
  out_len += n;
}
static void emit32(uint32_t v) { emit(&v, 4); }
static void emit64(uint64_t v) { emit(&v, 8); }

static void read_all_stdin(void) {
  size_t cap = 1 << 20;
  in_buf = malloc(cap);
  for (;;) {
    if (in_len == cap) {
      cap *= 2;
      in_buf = realloc(in_buf, cap);
    }
    if (!in_buf) die("out of memory");
    ssize_t r = read(0, in_buf + in_len, cap - in_len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read error");
    if (r == 0) break;
    in_len += (size_t)r;
  }
}

static unsigned char g_initial[DATA_SIZE];

int main(void) {
  read_all_stdin();
  if (take32() != IN_MAGIC) die("bad input magic (harness and driver out of step?)");
  uint32_t ncases = take32();
  g_timeout = (int)take32();
  (void)take32();

  map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
  map_fixed(CODE_BASE + CODE_SIZE, 0x1000, PROT_NONE);
  map_fixed(DATA_BASE - 0x1000, 0x1000, PROT_NONE);
  map_fixed(DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE);
  map_fixed(DATA_BASE + DATA_SIZE, 0x1000, PROT_NONE);

  static char altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack failed");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = kentry_on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&sa.sa_mask);
  const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction failed");
  struct sigaction al;
  memset(&al, 0, sizeof al);
  al.sa_handler = kentry_on_alarm;
  al.sa_flags = SA_ONSTACK;
  sigfillset(&al.sa_mask);
  if (sigaction(SIGALRM, &al, NULL) != 0) die("sigaction failed");

  uint64_t cs, ss_sel;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  __asm__ volatile("mov %%ss, %0" : "=r"(ss_sel));

  emit32(OUT_MAGIC);
  emit32(ncases);
  if (g_timeout > 0) alarm((unsigned)g_timeout);

  unsigned char *code = (unsigned char *)CODE_BASE;
  unsigned char *data = (unsigned char *)DATA_BASE;
  for (uint32_t c = 0; c < ncases; c++) {
    g_case_index = (int)c;
    /* Case: u32 code_len, u32 npatches, u64 gpr[16], u64 rflags, u32 mxcsr, u32 0,
       u8 xmm[16][16], code bytes, then per patch: u32 offset, u32 len, bytes. */
    uint32_t code_len = take32();
    uint32_t npatches = take32();
    if (code_len > MAX_CODE) die("code longer than 256 bytes");
    if (npatches > MAX_PATCHES) die("too many data patches");
    for (int i = 0; i < 16; i++) g_in.gpr[i] = take64();
    uint64_t rflags = take64();
    g_in.mxcsr = take32();
    (void)take32();
    memcpy(g_in.xmm, take(256), 256);

    memset(code, 0xcc, CODE_SIZE);
    memcpy(code, take(code_len), code_len);
    /* jmp *disp32(%rip) to the 8-aligned exit address in the page's last quad
       (aligned so that the load passes an alignment check when AC is set). */
    uint64_t exit_addr = (uint64_t)(uintptr_t)kentry_exit;
    memcpy(code + CODE_SIZE - 8, &exit_addr, 8);
    int32_t disp = (int32_t)(CODE_SIZE - 8 - (code_len + EXIT_JUMP_LEN));
    code[code_len] = 0xff;
    code[code_len + 1] = 0x25;
    memcpy(code + code_len + 2, &disp, 4);

    memset(data, 0, DATA_SIZE);
    for (uint32_t p = 0; p < npatches; p++) {
      uint32_t off = take32(), len = take32();
      if (off > DATA_SIZE || len > DATA_SIZE - off) die("data patch outside the data area");
      memcpy(data + off, take(len), len);
    }
    memcpy(g_initial, data, DATA_SIZE);

    g_in.rip = CODE_BASE;
    g_in.rflags = (rflags & RFLAGS_CHOOSABLE) | RFLAGS_FIXED;
    g_iret[0] = CODE_BASE;
    g_iret[1] = cs;
    g_iret[2] = g_in.rflags;
    g_iret[3] = g_in.gpr[4];
    g_iret[4] = ss_sel;
    memset(&g_out, 0, sizeof g_out);
    memset(&g_sig, 0, sizeof g_sig);

    g_running = 1;
    kentry_enter();
    g_running = 0;

    /* Result: u32 status (0 ok, 1 signal), i32 signo, i32 si_code, u32 nchanges,
       u64 si_addr, trapno, err, cr2, gpr[16], rip, rflags, u32 mxcsr, u32 0, u8 xmm[16][16],
       then per changed run: u32 offset, u32 len, bytes (data area after the run). */
    /* g_sig is only written by the fault handler: a zero signo means the exit path ran. */
    int faulted = g_sig.signo != 0;
    if (!faulted) g_out.rip = CODE_BASE + code_len;
    size_t header_at = out_len;
    emit32(faulted ? 1 : 0);
    emit32((uint32_t)g_sig.signo);
    emit32((uint32_t)g_sig.code);
    emit32(0);
    emit64(g_sig.addr);
    emit64(g_sig.trapno);
    emit64(g_sig.err);
    emit64(g_sig.cr2);
    for (int i = 0; i < 16; i++) emit64(g_out.gpr[i]);
    emit64(g_out.rip);
    emit64(g_out.rflags);
    emit32(g_out.mxcsr);
    emit32(0);
    emit(g_out.xmm, 256);

    uint32_t nchanges = 0;
    for (size_t i = 0; i < DATA_SIZE;) {
      if (i % 64 == 0 && memcmp(data + i, g_initial + i, 64) == 0) {
        i += 64;
        continue;
      }
      if (data[i] == g_initial[i]) {
        i++;
        continue;
      }
      size_t j = i;
      while (j < DATA_SIZE && data[j] != g_initial[j]) j++;
      emit32((uint32_t)i);
      emit32((uint32_t)(j - i));
      emit(data + i, j - i);
      nchanges++;
      i = j;
    }
    memcpy(out_buf + header_at + 12, &nchanges, 4);
  }
  alarm(0);

  for (size_t off = 0; off < out_len;) {
    ssize_t w = write(1, out_buf + off, out_len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write error");
    off += (size_t)w;
  }
  return 0;
}
