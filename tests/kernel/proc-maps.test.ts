/**
 * /proc/self/maps lines as fs/proc/task_mmu.c show_map_vma prints them:
 * `%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ` then, for a named mapping,
 * padding to column 73 (seq_pad) and the name. Oracle: a line of the host
 * kernel's own /proc/self/maps, re-created field by field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { procMaps } from '../../src/kernel/syscalls/files.js';

describe('procMaps', () => {
  it('formats an anonymous, a named and a file mapping like the host kernel', () => {
    const text = procMaps([
      { start: 0x400000, end: 0x401000, prot: 5, name: '/tmp/prog', offset: 0 },
      { start: 0x4ab000, end: 0x4ce000, prot: 3, name: '[heap]', offset: 0 },
      { start: 0x7ffff7ff0000, end: 0x7ffff7ff2000, prot: 0, name: '', offset: 0 },
    ]);
    expect(text.split('\n')).toEqual([
      '00400000-00401000 r-xp 00000000 00:00 0                                  /tmp/prog',
      '004ab000-004ce000 rw-p 00000000 00:00 0                                  [heap]',
      '7ffff7ff0000-7ffff7ff2000 ---p 00000000 00:00 0 ',
      '',
    ]);
  });

  it('pads named lines to the same column as the host kernel does', () => {
    const host = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[stack]'))!;
    const [range, perms, offset] = host.split(/\s+/);
    const [a, b] = range!.split('-').map((x) => parseInt(x, 16));
    const ours = procMaps([{ start: a!, end: b!, prot: 3, name: '[stack]', offset: parseInt(offset!, 16) }]).trimEnd();
    // Same layout; only dev:inode may differ (kentry prints 00:00 0), and they are the same for [stack].
    expect(perms).toBe('rw-p');
    expect(ours).toBe(host);
  });
});
