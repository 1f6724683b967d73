/**
 * Segment descriptors for tests, built from SDM Vol. 3A §3.4.5 Figure 3-8
 * and §3.5.2 (16-byte system descriptors), independently of
 * src/cpu/descriptor.ts.
 */

/** An 8-byte code/data descriptor (SDM Vol. 3A Figure 3-8). */
export function segDesc(base: number, limit: number, type: number, o: { s?: 0 | 1; dpl?: number; p?: 0 | 1; l?: 0 | 1; db?: 0 | 1; g?: 0 | 1; avl?: 0 | 1 } = {}): bigint {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | (type << 8) | ((o.s ?? 1) << 12) | ((o.dpl ?? 0) << 13) | ((o.p ?? 1) << 15) |
    (limit & 0xf_0000) | ((o.avl ?? 0) << 20) | ((o.l ?? 0) << 21) | ((o.db ?? 0) << 22) | ((o.g ?? 0) << 23) | (base & 0xff00_0000);
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** A 16-byte IA-32e system descriptor (LDT type 2, TSS 9/B): the two halves. */
export function sysDesc(base: bigint, limit: number, type: number, o: { dpl?: number; p?: 0 | 1; g?: 0 | 1 } = {}): [bigint, bigint] {
  const low = segDesc(Number(base & 0xffff_ffffn), limit, type, { s: 0, dpl: o.dpl ?? 0, p: o.p ?? 1, g: o.g ?? 0 });
  return [low, (base >> 32n) & 0xffff_ffffn];
}
