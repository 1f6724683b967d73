/**
 * `runModel` (tests/x86/model.ts) with one model machine per snippet
 * instead of one per case: building a machine (physical memory, page
 * tables, IDT, the CPU's decode cache) costs ~5 ms, running a snippet
 * microseconds, and these tests run thousands of cases per snippet. Each
 * case resets everything a snippet or a fault delivery can change (GPRs,
 * RFLAGS, XMM, MXCSR, x87 control state, the data area); the result has the
 * native harness's shape, read the way runModel reads it.
 */
import type { Cpu } from '../../../src/cpu/exec.js';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import {
  CODE_BASE, DATA_BASE, DATA_SIZE, DEFAULT_MXCSR, GPR_NAMES, RFLAGS_FIXED, STACK_TOP,
  dataBefore, type DataPatch, type Gprs, type NativeCase, type NativeResult,
} from '../host/native.js';
import { modelMachine } from '../model.js';

const machines = new Map<string, Cpu>();
const ERRCODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29]);

function num(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Gate `v`'s handler address, read from the IDT the machine was built with. */
function gateTarget(cpu: Cpu, v: number): number {
  const m = cpu.mmu;
  const base = cpu.idtBase + v * 16;
  const lo = (m.read16(base, MODE_SUPERVISOR) | (m.read16(base + 6, MODE_SUPERVISOR) << 16)) >>> 0;
  const hi = m.read32(base + 8, MODE_SUPERVISOR) | 0;
  return hi * 4294967296 + lo;
}

export function runModelReusing(c: NativeCase, budget = 100_000): NativeResult {
  const key = Buffer.from(c.code).toString('hex');
  let cpu = machines.get(key);
  const data = dataBefore(c);
  if (cpu === undefined) {
    cpu = modelMachine(c.code, data).cpu;
    machines.set(key, cpu);
  }
  const mmu = cpu.mmu;
  const dataLa = num(DATA_BASE);
  mmu.writeBytes(dataLa, data, MODE_SUPERVISOR);
  const regs: Partial<Gprs> = { rsp: STACK_TOP, ...c.regs };
  GPR_NAMES.forEach((name, i) => {
    const v = BigInt.asUintN(64, regs[name] ?? 0n);
    cpu.lo[i] = Number(v & 0xffff_ffffn) | 0;
    cpu.hi[i] = Number(v >> 32n) | 0;
  });
  cpu.setCs(0x33);
  cpu.ss = 0x2b;
  cpu.flags.set(Number((c.rflags ?? RFLAGS_FIXED) | RFLAGS_FIXED));
  cpu.updateDataMode();
  for (let r = 0; r < 16; r++) {
    const x = BigInt.asUintN(128, c.xmm?.[r] ?? 0n);
    for (let d = 0; d < 4; d++) cpu.xmm[r * 4 + d] = Number((x >> BigInt(32 * d)) & 0xffff_ffffn) | 0;
  }
  cpu.mxcsr = c.mxcsr ?? DEFAULT_MXCSR;
  cpu.fpuCw = 0x37f;
  cpu.fpuSw = 0;
  cpu.fpuTw = 0;
  const handlers = gateTarget(cpu, 0);
  const end = num(CODE_BASE) + c.code.length;
  cpu.rip = num(CODE_BASE);
  cpu.hostcallStart = handlers;
  cpu.hostcallEnd = handlers + 257;
  const exit = cpu.run(budget);
  if (exit.kind !== 'hostcall') throw new Error(`model: unexpected exit ${exit.kind}`);
  const vector = exit.address === handlers + 256 ? -1 : exit.address - handlers;

  const out = {} as Record<string, bigint>;
  GPR_NAMES.forEach((name, i) => (out[name] = toBig(cpu.lo[i]!, cpu.hi[i]!)));
  const xmm: bigint[] = [];
  for (let r = 0; r < 16; r++) {
    let x = 0n;
    for (let d = 3; d >= 0; d--) x = (x << 32n) | BigInt(cpu.xmm[r * 4 + d]! >>> 0);
    xmm.push(x);
  }
  const after = mmu.readBytes(dataLa, DATA_SIZE, MODE_SUPERVISOR);
  const base = { regs: out as Gprs, xmm, mxcsr: cpu.mxcsr, dataChanges: diffRuns(data, after) };
  if (vector < 0) return { ...base, status: 'ok', rip: BigInt(end), rflags: BigInt(cpu.flags.get()) };
  const sp = cpu.reg64(4);
  const word = (i: number): bigint => toBig(mmu.read32(sp + i * 8, MODE_SUPERVISOR), mmu.read32(sp + i * 8 + 4, MODE_SUPERVISOR));
  const k = ERRCODE.has(vector) ? 1 : 0;
  out['rsp'] = word(k + 3);
  return {
    ...base,
    regs: out as Gprs,
    status: 'signal',
    rip: word(k),
    rflags: word(k + 2),
    signal: {
      signo: 0, name: '', code: 0, addr: 0n, trapno: vector,
      err: k ? word(0) : 0n,
      cr2: vector === 14 ? BigInt.asUintN(64, BigInt(cpu.cr2)) : 0n,
    },
  };
}

function diffRuns(before: Uint8Array, after: Uint8Array): DataPatch[] {
  const out: DataPatch[] = [];
  let i = 0;
  while (i < before.length) {
    if (before[i] === after[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < before.length && before[i] !== after[i]) i++;
    out.push({ offset: start, bytes: after.slice(start, i) });
  }
  return out;
}
