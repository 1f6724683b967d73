/**
 * A static check run before a snippet executes natively. A native run has no
 * instruction budget, so the driver refuses code that could loop or leave the
 * snippet: every control transfer must be a direct near branch or call going
 * strictly forward to an instruction boundary or to the snippet's end. It
 * also refuses what could enter the kernel or wreck the harness process
 * (syscall, sysenter, int 0x80, ret/iret, writing FS/GS or their bases,
 * PKRU, XRSTOR*, shadow-stack writes). The harness's alarm() watchdog
 * remains the backstop (self-modifying code is not analysed).
 *
 * Decoding uses iced-x86 (a dev dependency, the decoder oracle).
 */
import { Decoder, DecoderError, DecoderOptions, FlowControl, Mnemonic, OpKind, Register } from 'iced-x86';

const REFUSED_MNEMONICS: ReadonlyMap<Mnemonic, string> = new Map([
  [Mnemonic.Wrfsbase, 'wrfsbase changes the harness TLS base'],
  [Mnemonic.Wrgsbase, 'wrgsbase'],
  [Mnemonic.Lfs, 'lfs loads FS'],
  [Mnemonic.Lgs, 'lgs loads GS'],
  [Mnemonic.Wrpkru, 'wrpkru can revoke the harness access to its memory'],
  [Mnemonic.Xrstor, 'xrstor can load PKRU'],
  [Mnemonic.Xrstor64, 'xrstor64 can load PKRU'],
  [Mnemonic.Xrstors, 'xrstors'],
  [Mnemonic.Xrstors64, 'xrstors64'],
  [Mnemonic.Umwait, 'umwait can wait'],
  [Mnemonic.Tpause, 'tpause can wait'],
  [Mnemonic.Wrssd, 'shadow-stack write'],
  [Mnemonic.Wrssq, 'shadow-stack write'],
  [Mnemonic.Wrussq, 'shadow-stack write'],
  [Mnemonic.Rstorssp, 'shadow-stack switch'],
  [Mnemonic.Incsspd, 'shadow-stack pointer change'],
  [Mnemonic.Incsspq, 'shadow-stack pointer change'],
  [Mnemonic.Senduipi, 'user IPI'],
]);

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Returns why `code` (to run at `base`, the harness's CODE_BASE) may not run natively, or undefined when it may. */
export function checkSnippet(code: Uint8Array, base = 0x1000_0000n): string | undefined {
  const end = base + BigInt(code.length);
  const decoder = new Decoder(64, code, DecoderOptions.None);
  decoder.ip = base;
  const boundaries = new Set<bigint>([end]);
  const targets: { from: bigint; to: bigint }[] = [];
  try {
    while (decoder.canDecode) {
      const ins = decoder.decode();
      try {
        const at = ins.ip;
        boundaries.add(at);
        if (decoder.lastError === DecoderError.NoMoreBytes) {
          return `the snippet ends in the middle of an instruction at ${hex(at)}`;
        }
        const why = REFUSED_MNEMONICS.get(ins.mnemonic);
        if (why !== undefined) return `${why} (at ${hex(at)})`;
        if (
          (ins.mnemonic === Mnemonic.Mov || ins.mnemonic === Mnemonic.Pop) &&
          ins.opCount > 0 &&
          ins.op0Kind === OpKind.Register &&
          (ins.op0Register === Register.FS || ins.op0Register === Register.GS)
        ) {
          return `loading FS or GS breaks the harness TLS (at ${hex(at)})`;
        }
        switch (ins.flowControl) {
          case FlowControl.Next:
          case FlowControl.Exception:
            break;
          case FlowControl.Interrupt:
            if (ins.mnemonic === Mnemonic.Int && ins.immediate8 === 0x80) return `int 0x80 is a system call (at ${hex(at)})`;
            break;
          case FlowControl.UnconditionalBranch:
          case FlowControl.ConditionalBranch:
          case FlowControl.Call: {
            if (ins.flowControl === FlowControl.Call && ins.mnemonic !== Mnemonic.Call) {
              return `${Mnemonic[ins.mnemonic] ?? 'this instruction'} enters the kernel or a VM (at ${hex(at)})`;
            }
            if (ins.op0Kind !== OpKind.NearBranch64) return `far or unusual branch at ${hex(at)}`;
            const to = ins.nearBranchTarget;
            if (to <= at) return `backward branch at ${hex(at)} to ${hex(to)} could loop`;
            if (to > end) return `branch at ${hex(at)} to ${hex(to)} leaves the snippet (end ${hex(end)})`;
            targets.push({ from: at, to });
            break;
          }
          case FlowControl.IndirectBranch:
          case FlowControl.IndirectCall:
            return `indirect branch at ${hex(at)} could loop`;
          case FlowControl.Return:
            return `return at ${hex(at)} could loop (ret needs unchecked)`;
          case FlowControl.XbeginXabortXend:
            return `transactional memory instruction at ${hex(at)}`;
          default:
            return `unexpected flow control at ${hex(at)}`;
        }
      } finally {
        ins.free();
      }
    }
  } finally {
    decoder.free();
  }
  for (const { from, to } of targets) {
    if (!boundaries.has(to)) return `branch at ${hex(from)} to ${hex(to)} lands inside an instruction`;
  }
  return undefined;
}
