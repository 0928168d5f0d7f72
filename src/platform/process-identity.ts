/**
 * Tells whether a process that once drove a run is still the same live process. A pid
 * alone is not enough: after a reboot or a long time the number is reused, so the
 * process's start time (Linux: field 22 of /proc/<pid>/stat) is compared too.
 */
import { readFileSync } from 'node:fs';

export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

export function isProcessAlive(pid: number, startTime: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime === '') return true;
  const now = processStartTime(pid);
  return now === '' || now === startTime;
}
