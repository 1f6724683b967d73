/**
 * The host kernel as oracle (DESIGN.md §5, oracle 2): what rt_sigaction(2)
 * really copies and where a real signal frame puts uc and info, read
 * through kentry's layouts of struct sigaction and struct rt_sigframe.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf, offsetOf } from '../../src/abi/layout.js';
import { rtSigframe, sigaction } from '../../src/abi/structs/index.js';
import { StructView } from '../../src/abi/view.js';
import { BufferStore } from '../../src/lib/bytes.js';
import { keyValues, runC, SKIP_HOST_ORACLE } from './cc.js';

const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static void handler(int sig, siginfo_t *info, void *uc) {
  /* The kernel passes rsi = &frame->info and rdx = &frame->uc; pretcode is the word below uc. */
  printf("info_minus_uc %ld\n", (long)((char *)info - (char *)uc));
  printf("pretcode %lu\n", (unsigned long)*(void **)((char *)uc - 8));
  fflush(stdout);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) return 1;
  /* Read the action back raw: exactly the bytes the kernel copies out. */
  unsigned char k[32];
  memset(k, 0xee, sizeof k);
  if (syscall(SYS_rt_sigaction, SIGUSR1, NULL, k, 8) != 0) return 2;
  printf("handler %lu\n", (unsigned long)(void *)handler);
  printf("kact ");
  for (int i = 0; i < 32; i++) printf("%02x", k[i]);
  printf("\n");
  fflush(stdout);
  raise(SIGUSR1);
  return 0;
}
`;

// include/uapi/asm-generic/signal-defs.h and arch/x86/include/uapi/asm/signal.h
const SA_SIGINFO = 0x4n;
const SA_RESTORER = 0x04000000n;
const SIGUSR2 = 12;

describe.skipIf(SKIP_HOST_ORACLE)('signal ABI vs the host kernel', () => {
  const out = SKIP_HOST_ORACLE ? new Map<string, string>() : keyValues(runC(PROGRAM));

  it('rt_sigaction copies {handler, flags, restorer, mask} as kentry lays struct sigaction out', () => {
    const bytes = Uint8Array.from(Buffer.from(out.get('kact') ?? '', 'hex'));
    expect(bytes).toHaveLength(32);
    const v = new StructView(layoutOf(sigaction), new BufferStore(bytes), 0);
    expect(v.get('sa_handler')).toBe(BigInt(out.get('handler') ?? -1));
    expect(v.get('sa_flags') & (SA_SIGINFO | SA_RESTORER)).toBe(SA_SIGINFO | SA_RESTORER);
    expect(v.get('sa_mask')).toBe(1n << BigInt(SIGUSR2 - 1));
    expect(v.get('sa_restorer')).toBe(BigInt(out.get('pretcode') ?? -1));
  });

  it('a delivered frame has info 304 bytes above uc and pretcode just below uc', () => {
    const l = layoutOf(rtSigframe);
    expect(Number(out.get('info_minus_uc'))).toBe(offsetOf(l, 'info') - offsetOf(l, 'uc'));
    expect(offsetOf(l, 'uc') - offsetOf(l, 'pretcode')).toBe(8);
  });
});
