/*
 * The LDT across fork (ldt_dup_context) and context switches (switch_ldt):
 * the parent installs a data segment with modify_ldt, forks; the child
 * reads the same table and can load the selector; the child's own change
 * does not reach the parent, and each keeps its own while they alternate.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int set_entry(int n, unsigned base) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = n;
  d.base_addr = base;
  d.limit = 0xfffff;
  d.seg_32bit = 1;
  d.limit_in_pages = 1;
  d.useable = 1;
  return syscall(SYS_modify_ldt, 1, &d, sizeof d);
}

static int ldt_bytes(void) {
  static unsigned char buf[65536];
  return syscall(SYS_modify_ldt, 0, buf, sizeof buf);
}

static int load_gs(unsigned short sel) {
  unsigned short got;
  __asm__ volatile("mov %1, %%gs\n\tmov %%gs, %0" : "=r"(got) : "r"(sel));
  return got == sel;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("parent: set entry 0 -> %d, ldt bytes %d\n", set_entry(0, 0), ldt_bytes());
  pid_t pid = fork();
  if (pid == 0) {
    printf("child: ldt bytes %d, gs=0x7 loads %d\n", ldt_bytes(), load_gs(0x7));
    printf("child: set entry 3 -> %d, ldt bytes %d\n", set_entry(3, 0x1000), ldt_bytes());
    for (int i = 0; i < 3; i++) {
      sched_yield();
      printf("child: after yield %d, ldt bytes %d, gs=0x1f loads %d\n", i, ldt_bytes(), load_gs(0x1f));
    }
    _exit(0);
  }
  for (int i = 0; i < 3; i++) {
    sched_yield();
    printf("parent: ldt bytes %d, gs=0x7 loads %d\n", ldt_bytes(), load_gs(0x7));
  }
  int status;
  waitpid(pid, &status, 0);
  printf("parent: after the child, ldt bytes %d\n", ldt_bytes());
  return 0;
}
