/**
 * CO-RE-style context relocations: a program names the pt_regs member each
 * context access means, and the loader writes that member's offset in the
 * layout the program will actually see into the instruction — what libbpf's
 * bpf_core_patch_insn does for BPF_CORE_FIELD_BYTE_OFFSET relocations
 * recorded in .BTF.ext, with the field named directly instead of by BTF
 * access string.
 * @see libbpf src/relo_core.c bpf_core_patch_insn; kernel Documentation/bpf/llvm_reloc.rst
 */
import { offsetOf, resolvePath, type RecordLayout } from '../../abi/layout.js';
import { BpfLoadError } from '../errors.js';
import { insn as mkInsn, type BpfInsn } from '../insn.js';
import {
  BPF_ADD, BPF_ALU64, BPF_K, BPF_LDX, BPF_ST, BPF_STX, bpfClass, bpfOp, bpfSize, bpfSrc, sizeBytes,
} from '../opcodes.js';

export interface CtxFieldReloc {
  /** Index of the instruction whose offset (LDX/ST/STX) or immediate (ALU64 ADD K) is the field's offset. */
  readonly insn: number;
  /** The member of struct pt_regs, by name (`di`, `si`, ...). */
  readonly field: string;
}

export function applyCtxRelocs(insns: readonly BpfInsn[], relocs: readonly CtxFieldReloc[], layout: RecordLayout): BpfInsn[] {
  const out = insns.slice();
  for (const r of relocs) {
    const i = out[r.insn];
    if (!i) throw new BpfLoadError(`relocation for insn #${r.insn} is past the end`, r.insn);
    let field;
    try {
      field = resolvePath(layout, r.field);
    } catch {
      throw new BpfLoadError(`insn #${r.insn}: struct ${layout.name} has no field '${r.field}'`, r.insn);
    }
    const off = offsetOf(layout, r.field);
    const cls = bpfClass(i.opcode);
    if (cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX) {
      const size = sizeBytes(bpfSize(i.opcode));
      if (size !== field.size) {
        throw new BpfLoadError(`insn #${r.insn}: field '${r.field}' is ${field.size} bytes, the insn accesses ${size}`, r.insn);
      }
      out[r.insn] = mkInsn(i.opcode, i.dst, i.src, off, i.imm);
    } else if (cls === BPF_ALU64 && bpfOp(i.opcode) === BPF_ADD && bpfSrc(i.opcode) === BPF_K) {
      out[r.insn] = mkInsn(i.opcode, i.dst, i.src, i.off, off);
    } else {
      throw new BpfLoadError(`insn #${r.insn}: a field offset relocation needs LDX/ST/STX or ALU64 ADD imm`, r.insn);
    }
  }
  return out;
}
