/**
 * @module core/shell-quote
 * One argument as /bin/sh reads it back unchanged: plain when it is safe, in single
 * quotes otherwise.
 */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
