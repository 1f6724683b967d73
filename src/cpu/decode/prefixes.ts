/**
 * Legacy and REX prefixes in 64-bit mode (SDM Vol. 2 §2.1.1, §2.2.1).
 *
 *   F0 LOCK      F2 REPNE     F3 REP       66 operand size   67 address size
 *   64 FS        65 GS        26 2E 36 3E  ES CS SS DS: no effect in 64-bit mode
 *   40-4F REX    0100WRXB; counts only as the last prefix before the opcode —
 *                a legacy prefix after it cancels it, a later REX replaces it
 *
 * Which of several conflicting prefixes wins follows iced-x86 (and the
 * hardware, where it is defined): the last of F2/F3; the last of FS/GS,
 * and a CS/DS/ES/SS override after FS/GS does not cancel it.
 */

export const PK_NONE = 0;
export const PK_LOCK = 1;
export const PK_REPNE = 2;
export const PK_REP = 3;
export const PK_OPSIZE = 4;
export const PK_ADDRSIZE = 5;
export const PK_FS = 6;
export const PK_GS = 7;
/** ES, CS, SS, DS overrides: decoded, then ignored. */
export const PK_SEG_IGNORED = 8;
export const PK_REX = 9;

/** PK_* kind of each byte value. */
export const PREFIX_KIND: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[0xf0] = PK_LOCK;
  t[0xf2] = PK_REPNE;
  t[0xf3] = PK_REP;
  t[0x66] = PK_OPSIZE;
  t[0x67] = PK_ADDRSIZE;
  t[0x64] = PK_FS;
  t[0x65] = PK_GS;
  for (const b of [0x26, 0x2e, 0x36, 0x3e]) t[b] = PK_SEG_IGNORED;
  for (let b = 0x40; b <= 0x4f; b++) t[b] = PK_REX;
  return t;
})();

/** REX bits. */
export const REX_W = 8;
export const REX_R = 4;
export const REX_X = 2;
export const REX_B = 1;
