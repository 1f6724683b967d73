/**
 * One event per kernel entry a program causes, for `kentry run --trace
 * entry` and `--json-trace` (DESIGN.md §6): system calls with their
 * arguments and result, exceptions and interrupts with the interrupted RIP,
 * signals with the action taken, and the end of the task.
 */
export type EntryTraceEvent =
  | {
      readonly kind: 'syscall';
      readonly pid: number;
      readonly nr: number;
      readonly name: string | null;
      /** rdi, rsi, rdx, r10, r8, r9 as unsigned 64-bit values. */
      readonly args: readonly bigint[];
      /** The arguments as strace would print them (read before the call), or null for a call without a decoder. */
      readonly decoded: readonly string[] | null;
      /** RAX on return (signed; -4095..-1 is -errno). */
      readonly result: bigint;
      /** The user RIP after the SYSCALL instruction. */
      readonly rip: number;
    }
  | {
      readonly kind: 'exception' | 'irq' | 'nmi';
      readonly pid: number;
      readonly vector: number;
      readonly name: string;
      readonly rip: number;
      readonly cpl: number;
      /** Error code (exceptions that push one) and CR2 (#PF). */
      readonly errorCode: number | null;
      readonly address: number | null;
    }
  | {
      readonly kind: 'signal';
      readonly pid: number;
      readonly signal: number;
      readonly code: number;
      readonly addr: number;
      readonly action: 'ignore' | 'terminate' | 'core' | 'stop' | 'handler';
      /** For a handler: its address, the frame (the handler's RSP) and the XSAVE area. */
      readonly handler?: number;
      readonly frame?: number;
      readonly fpstate?: number;
    }
  | { readonly kind: 'exit'; readonly pid: number; readonly code: number };

export type EntryTraceSink = (e: EntryTraceEvent) => void;
