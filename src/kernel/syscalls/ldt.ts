/**
 * modify_ldt(func, ptr, bytecount) (154): read the mm's LDT (0), write one
 * entry with legacy (1) or current (0x11) semantics, read the "default LDT"
 * (2, zeros); -ENOSYS for any other func. The result is an int returned as
 * `(unsigned int)ret`: an error comes back zero-extended (0x00000000ffffffea
 * for -EINVAL), which is what the SYSCALL_DEFINE3 wrapper gives on x86-64.
 * @kernel arch/x86/kernel/ldt.c sys_modify_ldt, read_ldt, read_default_ldt, write_ldt, allow_16bit_segments
 */
import { EFAULT, EINVAL, ENOSYS } from '../../abi/errno.js';
import {
  DESC_AVL, LDT_ENTRIES, LDT_ENTRY_SIZE, USER_DESC_SIZE, fillLdt, installLdt, ldtEmpty, mmContextLdt, parseUserDesc,
  writeLdtSlot, type LdtStruct,
} from '../arch/x86/ldt.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import { arg, argInt, argU64 } from './args.js';
import type { LinuxProcess } from './process.js';

/** read_default_ldt's size on 64-bit kernels. */
const DEFAULT_LDT_SIZE = 128;
const LDT_BYTES = LDT_ENTRIES * LDT_ENTRY_SIZE;

/** clear_user(ptr, n): false on a fault. */
function clearUser(p: LinuxProcess, ptr: number, n: number): boolean {
  return copyToUser(p.rt, ptr, new Uint8Array(n));
}

/**
 * read_ldt(ptr, bytecount): 0 without an LDT; else min(bytecount, 64 KiB)
 * bytes: the entries, zero-filled past nr_entries.
 */
function readLdt(p: LinuxProcess, ptr: number, bytecount: bigint): number {
  const ldt = mmContextLdt(p.mm);
  if (!ldt) return 0;
  const count = Number(bytecount > BigInt(LDT_BYTES) ? BigInt(LDT_BYTES) : bytecount);
  const entriesSize = Math.min(ldt.entries.length * LDT_ENTRY_SIZE, count);
  const bytes = new Uint8Array(entriesSize);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i * LDT_ENTRY_SIZE < entriesSize; i++) {
    const d = ldt.entries[i]!;
    const room = Math.min(LDT_ENTRY_SIZE, entriesSize - i * LDT_ENTRY_SIZE);
    for (let b = 0; b < room; b++) dv.setUint8(i * LDT_ENTRY_SIZE + b, Number((d >> BigInt(8 * b)) & 0xffn));
  }
  if (!copyToUser(p.rt, ptr, bytes)) return -EFAULT;
  if (entriesSize !== count && !clearUser(p, ptr + entriesSize, count - entriesSize)) return -EFAULT;
  return count;
}

/** read_default_ldt(ptr, bytecount): min(bytecount, 128) zero bytes. */
function readDefaultLdt(p: LinuxProcess, ptr: number, bytecount: bigint): number {
  const count = Number(bytecount > BigInt(DEFAULT_LDT_SIZE) ? BigInt(DEFAULT_LDT_SIZE) : bytecount);
  return clearUser(p, ptr, count) ? count : -EFAULT;
}

/**
 * write_ldt(ptr, bytecount, oldmode):
 * 1. bytecount must be sizeof(struct user_desc): -EINVAL; then copy it in: -EFAULT;
 * 2. entry_number >= LDT_ENTRIES: -EINVAL; contents 3 (conforming code) only
 *    in the new mode and only not present: -EINVAL;
 * 3. (oldmode and base = limit = 0) or LDT_empty: the entry is cleared;
 *    else fill_ldt (16-bit segments are allowed: CONFIG_X86_16BIT, ESPFIX64
 *    present), AVL cleared in the old mode;
 * 4. a new ldt_struct of max(entry + 1, old nr_entries) entries, the old
 *    ones copied, in the other remap slot (map_ldt_struct), installed.
 */
function writeLdt(p: LinuxProcess, ptr: number, bytecount: bigint, oldmode: boolean): number {
  if (bytecount !== BigInt(USER_DESC_SIZE)) return -EINVAL;
  const raw = copyFromUser(p.rt, ptr, USER_DESC_SIZE);
  if (!raw) return -EFAULT;
  const info = parseUserDesc(raw);
  if (info.entryNumber >= LDT_ENTRIES) return -EINVAL;
  if (info.contents === 3 && (oldmode || info.segNotPresent === 0)) return -EINVAL;
  let desc = 0n;
  if (!((oldmode && info.baseAddr === 0 && info.limit === 0) || ldtEmpty(info))) {
    desc = fillLdt(info);
    if (oldmode) desc &= ~DESC_AVL;
  }
  const old = mmContextLdt(p.mm);
  const entries = [...(old?.entries ?? [])];
  while (entries.length < info.entryNumber + 1) entries.push(0n);
  entries[info.entryNumber] = desc;
  const next: LdtStruct = { entries, slot: old ? (old.slot === 0 ? 1 : 0) : 0 };
  writeLdtSlot(p.rt, p.mm, next);
  installLdt(p.rt, p.mm, next);
  return 0;
}

/** modify_ldt(func, ptr, bytecount), returning `(unsigned int)ret`. */
export function sysModifyLdt(p: LinuxProcess, regs: PtRegs): number {
  const func = argInt(regs, 0);
  const ptr = arg(regs, 1);
  const bytecount = argU64(regs, 2);
  let ret: number;
  switch (func) {
    case 0: ret = readLdt(p, ptr, bytecount); break;
    case 1: ret = writeLdt(p, ptr, bytecount, true); break;
    case 2: ret = readDefaultLdt(p, ptr, bytecount); break;
    case 0x11: ret = writeLdt(p, ptr, bytecount, false); break;
    default: ret = -ENOSYS;
  }
  return ret >>> 0;
}
