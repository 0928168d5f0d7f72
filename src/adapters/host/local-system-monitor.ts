/**
 * System metrics of the machine this process runs on, and of one run's processes, read
 * from Node's `os` module, Linux's `/proc` and `/sys`, and `nvidia-smi` when present.
 *
 * Keys (every value finite; rates are over the time since the probe's previous sample,
 * so the first sample of a probe omits them, and a counter that went backwards, e.g. a
 * device removed, skips its key once rather than report a negative rate):
 *
 * | key | what | where |
 * | --- | --- | --- |
 * | `system/cpu_percent` | machine CPU busy % over the interval, 0..100 (rate) | `os.cpus()` times |
 * | `system/memory_percent` | machine memory in use, % of total | Linux `/proc/meminfo` MemAvailable, else `os.freemem()` |
 * | `system/memory_used_bytes` | machine memory in use: total - available | same |
 * | `system/proc_cpu_percent` | CPU % of the run's processes, may exceed 100 on several cores (rate) | Linux `/proc/<pid>/stat` of every process whose group is in the scope |
 * | `system/proc_memory_bytes` | resident memory of those processes | same |
 * | `system/disk_read_bytes_per_s` | bytes read from whole disks per second (rate) | Linux `/proc/diskstats` |
 * | `system/disk_write_bytes_per_s` | bytes written to whole disks per second (rate) | same |
 * | `system/net_rx_bytes_per_s` | bytes received per second, every interface but `lo` (rate) | Linux `/proc/net/dev` |
 * | `system/net_tx_bytes_per_s` | bytes sent per second, every interface but `lo` (rate) | same |
 * | `system/gpu<i>/utilization_percent` | GPU `<i>` (nvidia-smi's index) busy % | `nvidia-smi --query-gpu` |
 * | `system/gpu<i>/memory_used_mib` | GPU memory in use, MiB | same |
 * | `system/gpu<i>/memory_percent` | GPU memory in use, % of total | same |
 * | `system/gpu<i>/temperature_c` | GPU temperature, °C | same |
 * | `system/gpu<i>/power_w` | GPU power draw, W | same |
 *
 * The `proc_` keys are left out when the scope has no process groups (between stages)
 * or off Linux; processes that start and end between two samples are not counted. The
 * disk keys count only whole disks (a `/sys/block` entry), and not loop, ram, zram,
 * device-mapper or md devices, whose I/O is also counted on the disks beneath them.
 * GPU keys are left out without `nvidia-smi` on PATH, when it fails or takes over 3 s,
 * and for good after 3 failures in a row (a broken driver would cost 3 s every sample).
 */
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { SampleScope, SystemMonitor, SystemProbe } from '../../ports/system-monitor.js';
import { findOnPath } from '../../platform/find-on-path.js';
import { runCommand } from '../../platform/run-command.js';

const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw',
  '--format=csv,noheader,nounits',
];
const NVIDIA_SMI_TIMEOUT_MS = 3_000;
const NVIDIA_SMI_MAX_FAILURES = 3;
/** Linux's USER_HZ: what /proc reports CPU times in, 100 on every mainstream build. */
const CLOCK_TICKS_PER_S = 100;
const DEFAULT_PAGE_SIZE = 4096;
const SECTOR_BYTES = 512;
/** Block devices whose I/O is counted again on the devices beneath them, or is not disk I/O. */
const NOT_A_DISK = /^(loop|ram|zram|dm-|md)/;

/** One GPU's line of nvidia-smi's CSV; null where it said `[N/A]` or something not a number. */
export interface NvidiaSmiGpu {
  /** nvidia-smi's index: what CUDA_VISIBLE_DEVICES numbers refer to. */
  readonly index: string;
  readonly utilizationPercent: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly temperatureC: number | null;
  readonly powerW: number | null;
}

/**
 * The output of `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,
 * temperature.gpu,power.draw --format=csv,noheader,nounits`, one entry per GPU line.
 */
export function parseNvidiaSmi(text: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const [index, util, used, total, temp, power] = line.split(',').map((s) => s.trim());
    if (!index || !/^\d+$/.test(index)) continue;
    gpus.push({
      index,
      utilizationPercent: smiNumber(util),
      memoryUsedMiB: smiNumber(used),
      memoryTotalMiB: smiNumber(total),
      temperatureC: smiNumber(temp),
      powerW: smiNumber(power),
    });
  }
  return gpus;
}

/** Strict, so `[N/A]`, `[Not Supported]` or an empty field never read as 0. */
function smiNumber(field: string | undefined): number | null {
  if (field === undefined || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(field)) return null;
  const n = Number(field);
  return Number.isFinite(n) ? n : null;
}

export class LocalSystemMonitor implements SystemMonitor {
  readonly #env: NodeJS.ProcessEnv;
  #smiPath: Promise<string | undefined> | undefined;
  #smiFailures = 0;
  #pageSize: Promise<number> | undefined;

  constructor(options: { env?: NodeJS.ProcessEnv } = {}) {
    this.#env = options.env ?? process.env;
  }

  probe(): SystemProbe {
    return new LocalSystemProbe({ gpus: () => this.#gpus(), pageSize: () => this.#readPageSize() });
  }

  /** Null when there is no answer this time. Shared by every probe, so a broken nvidia-smi is given up once. */
  async #gpus(): Promise<NvidiaSmiGpu[] | null> {
    if (this.#smiFailures >= NVIDIA_SMI_MAX_FAILURES) return null;
    this.#smiPath ??= findOnPath('nvidia-smi', this.#env.PATH ?? '');
    const smi = await this.#smiPath;
    if (!smi) return null;
    try {
      const gpus = parseNvidiaSmi(await outputOf(smi, NVIDIA_SMI_ARGS, this.#env, NVIDIA_SMI_TIMEOUT_MS));
      if (gpus.length === 0) throw new Error('nvidia-smi listed no GPU');
      this.#smiFailures = 0;
      return gpus;
    } catch {
      this.#smiFailures++;
      return null;
    }
  }

  #readPageSize(): Promise<number> {
    this.#pageSize ??= outputOf('getconf', ['PAGESIZE'], this.#env, 1_000).then(
      (text) => {
        const n = Number(text.trim());
        return Number.isInteger(n) && n > 0 ? n : DEFAULT_PAGE_SIZE;
      },
      () => DEFAULT_PAGE_SIZE,
    );
    return this.#pageSize;
  }
}

interface Shared {
  gpus(): Promise<NvidiaSmiGpu[] | null>;
  pageSize(): Promise<number>;
}

type Part = Record<string, number>;

class LocalSystemProbe implements SystemProbe {
  readonly #shared: Shared;
  readonly #linux = process.platform === 'linux';
  /** Counter totals and when they were read (performance.now() ms), by key. */
  readonly #counters = new Map<string, { total: number; at: number }>();
  #cpu: { busy: number; total: number } | undefined;
  /** The run's processes at the last scan: CPU ticks by `pid:starttime`, so a reused pid is a new process. */
  #procTicks = new Map<string, number>();
  /** When the last scan ran: performance.now() ms and clock ticks since boot. */
  #procAt: { at: number; uptimeTicks: number } | undefined;

  constructor(shared: Shared) {
    this.#shared = shared;
  }

  async sample(scope: SampleScope): Promise<Record<string, number>> {
    const parts = await Promise.all([
      guard(() => this.#machineCpu()),
      guard(() => this.#memory()),
      guard(() => this.#processes(scope)),
      guard(() => this.#disks()),
      guard(() => this.#network()),
      guard(() => this.#gpus(scope)),
    ]);
    const out: Record<string, number> = {};
    for (const part of parts) {
      for (const [key, value] of Object.entries(part)) if (Number.isFinite(value)) out[key] = value;
    }
    return out;
  }

  async #machineCpu(): Promise<Part> {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      const b = times.user + times.nice + times.sys + times.irq;
      busy += b;
      total += b + times.idle;
    }
    const prev = this.#cpu;
    this.#cpu = { busy, total };
    if (!prev) return {};
    const dBusy = busy - prev.busy;
    const dTotal = total - prev.total;
    // A CPU brought on or off line changes the sums: no honest figure this time.
    if (dTotal <= 0 || dBusy < 0) return {};
    return { 'system/cpu_percent': Math.min(100, (dBusy / dTotal) * 100) };
  }

  async #memory(): Promise<Part> {
    let total = os.totalmem();
    let available: number | undefined;
    if (this.#linux) {
      const info = await readFile('/proc/meminfo', 'utf8').catch(() => '');
      const kb = (name: string): number | undefined => {
        const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(info);
        return m ? Number(m[1]) * 1024 : undefined;
      };
      total = kb('MemTotal') ?? total;
      available = kb('MemAvailable');
    }
    // MemAvailable counts reclaimable cache as available; free memory alone would not.
    available ??= os.freemem();
    if (!(total > 0)) return {};
    const used = Math.max(0, total - available);
    return { 'system/memory_used_bytes': used, 'system/memory_percent': (used / total) * 100 };
  }

  async #processes(scope: SampleScope): Promise<Part> {
    if (!this.#linux) return {};
    // Rounded: 12345.67 * 100 is 1234567.0000000002 in floating point, later than a process started in that tick.
    const uptimeTicks = Math.round(Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]) * CLOCK_TICKS_PER_S);
    if (scope.processGroups.length === 0) {
      // Between stages the time is still noted, so the next stage's processes count from their start.
      this.#procTicks = new Map();
      this.#procAt = { at: performance.now(), uptimeTicks };
      return {};
    }
    const groups = new Set(scope.processGroups);
    const [pageSize, pids] = await Promise.all([this.#shared.pageSize(), readdir('/proc')]);
    const stats = await Promise.all(
      pids.filter((p) => /^\d+$/.test(p)).map((p) => readFile(`/proc/${p}/stat`, 'utf8').then((text) => [p, text] as const, () => undefined)),
    );
    const at = performance.now();
    const prevAt = this.#procAt;
    const prevTicks = this.#procTicks;
    const ticksNow = new Map<string, number>();
    let rssPages = 0;
    let dTicks = 0;
    for (const entry of stats) {
      if (!entry) continue; // ended since the listing
      const [pid, text] = entry;
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (!groups.has(Number(f[2]))) continue;
      const ticks = Number(f[11]) + Number(f[12]);
      const start = Number(f[19]);
      const rss = Number(f[21]);
      if (!Number.isFinite(ticks) || !Number.isFinite(rss)) continue;
      const key = `${pid}:${f[19]}`;
      ticksNow.set(key, ticks);
      rssPages += Math.max(0, rss);
      const before = prevTicks.get(key);
      if (before !== undefined) dTicks += Math.max(0, ticks - before);
      // New since the last scan: all its time falls in the interval; one older (it joined a group late) is only primed.
      else if (prevAt && start >= prevAt.uptimeTicks) dTicks += ticks;
    }
    this.#procTicks = ticksNow;
    this.#procAt = { at, uptimeTicks };
    const out: Part = { 'system/proc_memory_bytes': rssPages * pageSize };
    if (prevAt && at > prevAt.at) out['system/proc_cpu_percent'] = (dTicks / CLOCK_TICKS_PER_S / ((at - prevAt.at) / 1000)) * 100;
    return out;
  }

  async #disks(): Promise<Part> {
    if (!this.#linux) return {};
    const [text, block] = await Promise.all([readFile('/proc/diskstats', 'utf8'), readdir('/sys/block')]);
    const at = performance.now();
    const whole = new Set(block);
    let read = 0;
    let written = 0;
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      const name = f[2];
      // sysfs spells a '/' in a device name as '!'; partitions have no /sys/block entry.
      if (!name || NOT_A_DISK.test(name) || !whole.has(name.replace(/\//g, '!'))) continue;
      const r = Number(f[5]);
      const w = Number(f[9]);
      if (Number.isFinite(r)) read += r * SECTOR_BYTES;
      if (Number.isFinite(w)) written += w * SECTOR_BYTES;
    }
    return this.#rates(at, { 'system/disk_read_bytes_per_s': read, 'system/disk_write_bytes_per_s': written });
  }

  async #network(): Promise<Part> {
    if (!this.#linux) return {};
    const text = await readFile('/proc/net/dev', 'utf8');
    const at = performance.now();
    let rx = 0;
    let tx = 0;
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue; // the two header lines
      if (line.slice(0, colon).trim() === 'lo') continue;
      const f = line.slice(colon + 1).trim().split(/\s+/);
      const r = Number(f[0]);
      const t = Number(f[8]);
      if (Number.isFinite(r)) rx += r;
      if (Number.isFinite(t)) tx += t;
    }
    return this.#rates(at, { 'system/net_rx_bytes_per_s': rx, 'system/net_tx_bytes_per_s': tx });
  }

  /** Per-second rates of counters since their last reading; a key without one, or gone backwards, is left out. */
  #rates(at: number, totals: Record<string, number>): Part {
    const out: Part = {};
    for (const [key, total] of Object.entries(totals)) {
      const prev = this.#counters.get(key);
      this.#counters.set(key, { total, at });
      if (!prev || total < prev.total || at <= prev.at) continue;
      out[key] = (total - prev.total) / ((at - prev.at) / 1000);
    }
    return out;
  }

  async #gpus(scope: SampleScope): Promise<Part> {
    const gpus = await this.#shared.gpus();
    if (!gpus) return {};
    const given = scope.gpus === null ? null : new Set(scope.gpus.map((g) => g.trim()));
    const out: Part = {};
    for (const g of gpus) {
      if (given && !given.has(g.index)) continue;
      const key = `system/gpu${g.index}`;
      if (g.utilizationPercent !== null) out[`${key}/utilization_percent`] = g.utilizationPercent;
      if (g.memoryUsedMiB !== null) out[`${key}/memory_used_mib`] = g.memoryUsedMiB;
      if (g.memoryUsedMiB !== null && g.memoryTotalMiB !== null && g.memoryTotalMiB > 0) {
        out[`${key}/memory_percent`] = (g.memoryUsedMiB / g.memoryTotalMiB) * 100;
      }
      if (g.temperatureC !== null) out[`${key}/temperature_c`] = g.temperatureC;
      if (g.powerW !== null) out[`${key}/power_w`] = g.powerW;
    }
    return out;
  }
}

/** A source that fails is left out of the sample, never its end. */
async function guard(read: () => Promise<Part>): Promise<Part> {
  try {
    return await read();
  } catch {
    return {};
  }
}

/** A program's stdout, or a rejection when it fails or runs past `timeoutMs`: a hung nvidia-smi never holds a sample. */
async function outputOf(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const res = await runCommand(file, args, { env, timeoutMs });
  if (res.code !== 0) throw new Error(`${file} exited with ${res.code}`);
  return res.stdout.toString('utf8');
}
