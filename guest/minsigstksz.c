/*
 * AT_MINSIGSTKSZ and the size of the XSAVE area for the enabled features
 * (CPUID.(EAX=0DH,ECX=0):EBX), so a test can check the kernel's
 * max_frame_size formula (init_sigframe_size) against the host kernel.
 */
#include <cpuid.h>
#include <stdio.h>
#include <sys/auxv.h>

int main(void) {
  unsigned a, b, c, d;
  __cpuid_count(0xd, 0, a, b, c, d);
  printf("AT_MINSIGSTKSZ %lu xsave %u\n", getauxval(51 /* AT_MINSIGSTKSZ */), b);
  return 0;
}
