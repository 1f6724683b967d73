/**
 * The errno values BPF helpers and maps return (negated), from the ABI
 * module; E2BIG is not there yet, so it is spelled here with its source.
 * @kernel include/uapi/asm-generic/errno-base.h
 */
export { EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM } from '../abi/errno.js';

/** Argument list too long: a full map (htab_map_update_elem, array_map_update_elem). */
export const E2BIG = 7;
