/** STYLE.md §2.4: every error kentry throws on purpose is an Error with a string `code`. */
import { describe, expect, it } from 'vitest';
import { InternalError, KentryError, NotModelledError, UsageError, assert } from '../../src/lib/errors.js';
import { DesignSpecError } from '../../src/design/validate.js';
import { CpuFault, PageFault } from '../../src/cpu/faults.js';
import { PhysMemoryLimitError } from '../../src/cpu/phys-memory.js';
import { AsmError } from '../../src/asm/index.js';

describe('error conventions', () => {
  const samples: KentryError[] = [
    new UsageError('u'), new InternalError('i'), new NotModelledError('n'), new DesignSpecError('$.x', 'p'), new AsmError(1, 'x', 'y'),
  ];
  it.each(samples.map((e) => [e.name, e] as const))('%s is an Error with a literal code', (_n, e) => {
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(KentryError);
    expect(typeof e.code).toBe('string');
    expect(e.code.length).toBeGreaterThan(0);
  });
  it('a design spec error is a usage error (the CLI exits 2 on it)', () => {
    expect(new DesignSpecError('$.a', 'b')).toBeInstanceOf(UsageError);
  });
  it('a guest CPU exception has a code but is not a host KentryError (never swallowed as one)', () => {
    const f = new PageFault(0x21, 0x1000);
    expect(f).toBeInstanceOf(CpuFault);
    expect(f).toBeInstanceOf(Error);
    expect(f).not.toBeInstanceOf(KentryError);
    expect(f.code).toBe('cpu-fault');
    expect([f.vector, f.errorCode, f.address]).toEqual([14, 0x21, 0x1000]);
  });
  it('the physical memory limit is a KentryError with its own code', () => {
    expect(PhysMemoryLimitError.prototype).toBeInstanceOf(KentryError);
  });
  it('assert throws InternalError', () => {
    expect(() => assert(false, 'broken')).toThrow(InternalError);
  });
});
