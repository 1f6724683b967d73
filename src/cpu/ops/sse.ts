/**
 * SSE/SSE2 instructions, MXCSR, x87 control words and FXSAVE/XSAVE.
 * (Being written: until then these rows decode and raise #UD.)
 */
import type { Handler } from '../exec.js';

export const SSE_HANDLERS: Readonly<Record<string, Handler>> = {};
