/**
 * Guest linear memory as a `ByteStore`, so struct views (abi/view.ts) read
 * and write guest structs through the MMU with one access mode — the
 * kernel's supervisor accesses under the current PKRS, for instance. Faults
 * surface as `PageFault`, exactly as the access would raise them.
 */
import type { ByteStore } from '../lib/bytes.js';
import type { AccessMode, Mmu } from './mmu.js';

export function linearStore(mmu: Mmu, mode: AccessMode): ByteStore {
  return {
    readBytes: (address, length) => mmu.readBytes(address, length, mode),
    writeBytes: (address, bytes) => mmu.writeBytes(address, bytes, mode),
  };
}
