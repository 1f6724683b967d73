/**
 * A LinuxProcess as the caller of a file operation (files.ts FileCaller):
 * its memory, an interruptible sleep, and SIGPIPE to itself.
 * @kernel fs/pipe.c pipe_wait_readable/pipe_wait_writable (the sleep), send_sig(SIGPIPE, current, 0)
 */
import { SIGPIPE, SI_USER } from '../../abi/signal-numbers.js';
import { sendSignal, signalsDeliverable } from '../arch/x86/signal.js';
import type { MaySleep } from '../generic/index.js';
import type { FileCaller } from './files.js';
import type { LinuxProcess } from './process.js';
import { sleepInterruptible } from './sleep.js';

export function fileCaller(p: LinuxProcess): FileCaller {
  return {
    rt: p.rt,
    *waitInterruptible(): MaySleep<'signal' | 'woken'> {
      // With other processes about, the other end may be one of them: the sleeper looks again every tick
      // (kentry has no wait queues; a woken pipe_wait_* re-checks its condition just the same).
      if (p.napTick) {
        if (signalsDeliverable(p.task)) return 'signal';
        yield* p.napTick();
        return signalsDeliverable(p.task) ? 'signal' : 'woken';
      }
      return (yield* sleepInterruptible(p, null)) === 'signal' ? 'signal' : 'woken';
    },
    sigpipe: () => sendSignal(p.task, SIGPIPE, SI_USER, p.pid),
  };
}
