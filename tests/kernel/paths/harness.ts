/** Shared helpers for the entry-path tests: a booted kernel per design and a user loop to interrupt. */
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { bootKernel, type BootOptions, type Kernel } from '../../../src/kernel/boot.js';

export const DESIGNS = BUILTIN_DESIGNS.map((d) => [d.name, d] as const);

/** A user program that counts in %rbx forever (r12-r15 hold markers the entries must preserve). */
export const USER_LOOP = `
spin:
  inc %rbx
  jmp spin
`;

export function bootUser(name: string, source = USER_LOOP, options: BootOptions = {}): Kernel {
  const design = BUILTIN_DESIGNS.find((d) => d.name === name);
  if (!design) throw new Error(`no design ${name}`);
  const k = bootKernel(design, options);
  k.startUser(source, 'user');
  return k;
}
