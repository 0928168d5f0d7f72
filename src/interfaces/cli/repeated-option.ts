/**
 * @module interfaces/cli/repeated-option
 * A flag given several times (`-p a=1 -p b=2`), collected in order: commander's reducer.
 */
export function repeated(value: string, previous: string[]): string[] {
  return [...previous, value];
}
