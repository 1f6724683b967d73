/**
 * Why the run loop returned (STYLE.md §2.2: the CPU never calls the kernel;
 * it stops and says why, as hardware jumps to an IDT vector or LSTAR).
 */
export type CpuExit =
  /** RIP reached an address in the registered host-call range (a kernel "C" function). */
  | { readonly kind: 'hostcall'; readonly address: number }
  /** HLT at CPL 0 with no event pending. */
  | { readonly kind: 'halt' }
  /** An exception while delivering #DF: the processor would shut down (SDM Vol. 3A §6.15, #DF). */
  | { readonly kind: 'triple-fault'; readonly vector: number; readonly errorCode: number }
  /** The instruction budget given to `run` is spent. */
  | { readonly kind: 'budget' };
