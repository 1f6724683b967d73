/**
 * bpf_trace_printk's format checks and formatting.
 * @kernel kernel/bpf/helpers.c bpf_bprintf_prepare, kernel/trace/bpf_trace.c bpf_trace_printk
 *
 * Accepted: at most 3 conversions (MAX_TRACE_PRINTK_VARARGS); flags "0+- "
 * and a width; %d %i %u %x %X with optional l or ll; %s (read with
 * strncpy_from_kernel_nofault: a fault prints an empty string); %c; %p, %pK,
 * %px; "%%". Every other conversion, a format without a NUL inside fmt_size,
 * or a non-printable character gives -EINVAL.
 *
 * Divergence: the kernel prints %p and %pK hashed (ptr_to_id with a boot-time
 * siphash key); the model has no such key and prints them as %px.
 */
import { EINVAL } from './errno.js';

export const MAX_TRACE_PRINTK_VARARGS = 3;
/** BPF_TRACE_PRINTK_SIZE: the output buffer, NUL included. */
export const BPF_TRACE_PRINTK_SIZE = 1024;

export interface PrintkArgs {
  readonly args: readonly bigint[];
  /** A NUL-terminated string at an address, or null on a fault. */
  readonly readString: (address: bigint, max: number) => string | null;
}

type Conversion = { flags: string; width: number; length: 0 | 1 | 2; conv: string; suffix: string };

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number): boolean => isPrint(c) && !/[0-9A-Za-z ]/.test(String.fromCharCode(c));

/** The formatted line, or a negative errno. */
export function formatTracePrintk(fmtBytes: Uint8Array, p: PrintkArgs): string | number {
  const nul = fmtBytes.indexOf(0);
  if (nul < 0) return -EINVAL;
  const fmt = String.fromCharCode(...fmtBytes.subarray(0, nul));
  let out = '';
  let spec = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    if (!isPrint(c) && !isSpace(c)) return -EINVAL;
    if (fmt[i] !== '%') {
      out += fmt[i];
      continue;
    }
    if (fmt[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (spec >= MAX_TRACE_PRINTK_VARARGS) return -EINVAL;
    const parsed = parseConversion(fmt, i + 1);
    if (typeof parsed === 'number') return parsed;
    const [conv, end] = parsed;
    const text = render(conv, p.args[spec] ?? 0n, p);
    out += pad(text, conv);
    spec++;
    i = end - 1;
  }
  return out.length >= BPF_TRACE_PRINTK_SIZE ? out.slice(0, BPF_TRACE_PRINTK_SIZE - 1) : out;
}

function parseConversion(fmt: string, start: number): [Conversion, number] | number {
  let i = start;
  let flags = '';
  while (fmt[i] === '0' || fmt[i] === '+' || fmt[i] === '-' || fmt[i] === ' ') flags += fmt[i++];
  let width = 0;
  if (fmt[i] !== undefined && fmt[i]! >= '1' && fmt[i]! <= '9') {
    const m = /^[0-9]+/.exec(fmt.slice(i))![0];
    width = Number(m);
    i += m.length;
  }
  if (fmt[i] === 'p') {
    const next = fmt.charCodeAt(i + 1);
    if (Number.isNaN(next) || isSpace(next) || isPunct(next)) return [{ flags, width, length: 2, conv: 'p', suffix: '' }, i + 1];
    if (fmt[i + 1] === 'K' || fmt[i + 1] === 'x') {
      return [{ flags, width, length: 2, conv: 'p', suffix: fmt[i + 1]! }, i + 2];
    }
    return -EINVAL; // %pB, %pi4, %pks ...: accepted by the kernel, not modelled
  }
  if (fmt[i] === 's' || fmt[i] === 'c') return [{ flags, width, length: 0, conv: fmt[i]!, suffix: '' }, i + 1];
  let length: 0 | 1 | 2 = 0;
  if (fmt[i] === 'l') {
    length = 1;
    i++;
  }
  if (fmt[i] === 'l') {
    length = 2;
    i++;
  }
  const conv = fmt[i];
  if (conv !== 'i' && conv !== 'd' && conv !== 'u' && conv !== 'x' && conv !== 'X') return -EINVAL;
  return [{ flags, width, length, conv, suffix: '' }, i + 1];
}

function render(c: Conversion, arg: bigint, p: PrintkArgs): string {
  // Without 'l' the argument is stored as an int (bpf_bprintf_prepare: sizeof_cur_arg = sizeof(int)).
  const bits = c.length === 0 ? 32 : 64;
  switch (c.conv) {
    case 'd':
    case 'i': {
      const v = BigInt.asIntN(bits, arg);
      const sign = v < 0n ? '-' : c.flags.includes('+') ? '+' : c.flags.includes(' ') ? ' ' : '';
      return sign + (v < 0n ? -v : v).toString();
    }
    case 'u':
      return BigInt.asUintN(bits, arg).toString();
    case 'x':
      return BigInt.asUintN(bits, arg).toString(16);
    case 'X':
      return BigInt.asUintN(bits, arg).toString(16).toUpperCase();
    case 'c':
      return String.fromCharCode(Number(arg & 0xffn));
    case 's':
      return p.readString(arg, BPF_TRACE_PRINTK_SIZE) ?? '';
    default:
      return BigInt.asUintN(64, arg).toString(16).padStart(16, '0'); // %p as %px
  }
}

function pad(text: string, c: Conversion): string {
  if (text.length >= c.width) return text;
  if (c.flags.includes('-')) return text.padEnd(c.width);
  const numeric = c.conv !== 's' && c.conv !== 'c';
  if (c.flags.includes('0') && numeric) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(c.width - sign.length, '0');
  }
  return text.padStart(c.width);
}
