/**
 * The system monitor against this machine's /proc (the tests run on Linux), with a busy
 * child process in its own group standing for a run's stage. A GPU cannot be had here,
 * so `nvidia-smi` is a script on a PATH made for each test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSystemMonitor, parseNvidiaSmi } from './local-system-monitor.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sysmon-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): void {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

const TWO_GPUS = ['0, 87, 40211, 81559, 61, 312.45', '1, 0, 4, 81559, 34, [N/A]', ''].join('\n');

describe('parseNvidiaSmi', () => {
  it('reads each GPU line, leaving out [N/A] and text that is not a number', () => {
    expect(parseNvidiaSmi(TWO_GPUS)).toEqual([
      { index: '0', utilizationPercent: 87, memoryUsedMiB: 40211, memoryTotalMiB: 81559, temperatureC: 61, powerW: 312.45 },
      { index: '1', utilizationPercent: 0, memoryUsedMiB: 4, memoryTotalMiB: 81559, temperatureC: 34, powerW: null },
    ]);
    expect(parseNvidiaSmi('2, [Not Supported], , 1024, hot, 0x10\r\nNVIDIA-SMI has failed\n')).toEqual([
      { index: '2', utilizationPercent: null, memoryUsedMiB: null, memoryTotalMiB: 1024, temperatureC: null, powerW: null },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('LocalSystemMonitor on Linux', () => {
  let busy: ChildProcess | undefined;
  afterEach(() => {
    if (busy?.pid) {
      try {
        process.kill(-busy.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    busy = undefined;
  });

  it('samples the machine and the processes of a run', async () => {
    // detached: the child leads its own process group, as the executor starts a stage.
    busy = spawn(process.execPath, ['-e', 'for(;;){}'], { detached: true, stdio: 'ignore' });
    const pgid = busy.pid!;
    await sleep(100);
    const probe = new LocalSystemMonitor({ env: { PATH: dir } }).probe();
    const scope = { processGroups: [pgid], gpus: null };

    const first = await probe.sample(scope);
    expect(first['system/memory_used_bytes']).toBeGreaterThan(0);
    expect(first['system/proc_memory_bytes']).toBeGreaterThan(1_000_000);
    await sleep(200);
    const second = await probe.sample(scope);

    expect(second['system/cpu_percent']).toBeGreaterThanOrEqual(0);
    expect(second['system/cpu_percent']).toBeLessThanOrEqual(100);
    expect(second['system/memory_percent']).toBeGreaterThan(0);
    expect(second['system/memory_percent']).toBeLessThanOrEqual(100);
    expect(second['system/memory_used_bytes']).toBeGreaterThan(0);
    expect(second['system/proc_cpu_percent']).toBeGreaterThan(20);
    expect(second['system/proc_memory_bytes']).toBeGreaterThan(1_000_000);
    for (const key of ['system/disk_read_bytes_per_s', 'system/disk_write_bytes_per_s', 'system/net_rx_bytes_per_s', 'system/net_tx_bytes_per_s']) {
      expect(second[key], key).toBeGreaterThanOrEqual(0);
    }
    for (const [key, value] of Object.entries({ ...first, ...second })) {
      expect(key.startsWith('system/'), key).toBe(true);
      expect(Number.isFinite(value), key).toBe(true);
    }
    expect(Object.keys(second).some((k) => k.startsWith('system/gpu'))).toBe(false);
  });

  it('leaves the process keys out without process groups, and rates out of a first sample', async () => {
    const probe = new LocalSystemMonitor({ env: { PATH: dir } }).probe();
    const first = await probe.sample({ processGroups: [], gpus: null });
    expect(Object.keys(first).sort()).toEqual(['system/memory_percent', 'system/memory_used_bytes']);
    await sleep(100); // os.cpus() counts in 10 ms steps
    const second = await probe.sample({ processGroups: [], gpus: null });
    expect(second).not.toHaveProperty('system/proc_cpu_percent');
    expect(second).not.toHaveProperty('system/proc_memory_bytes');
    expect(second).toHaveProperty('system/cpu_percent');
  });

  it('counts a stage started between samples from its start', async () => {
    const probe = new LocalSystemMonitor({ env: { PATH: dir } }).probe();
    await probe.sample({ processGroups: [], gpus: null });
    busy = spawn(process.execPath, ['-e', 'for(;;){}'], { detached: true, stdio: 'ignore' });
    await sleep(300);
    const s = await probe.sample({ processGroups: [busy.pid!], gpus: null });
    expect(s['system/proc_cpu_percent']).toBeGreaterThan(20);
  });

  it('reports the GPUs of the scope from nvidia-smi', async () => {
    script('nvidia-smi', `printf '${TWO_GPUS.replace(/\n/g, '\\n')}'`);
    const monitor = new LocalSystemMonitor({ env: { PATH: dir } });
    const all = await monitor.probe().sample({ processGroups: [], gpus: null });
    expect(all['system/gpu0/utilization_percent']).toBe(87);
    expect(all['system/gpu0/memory_used_mib']).toBe(40211);
    expect(all['system/gpu0/memory_percent']).toBeCloseTo((40211 / 81559) * 100, 6);
    expect(all['system/gpu0/temperature_c']).toBe(61);
    expect(all['system/gpu0/power_w']).toBe(312.45);
    expect(all['system/gpu1/utilization_percent']).toBe(0);
    expect(all).not.toHaveProperty('system/gpu1/power_w');

    const given = await monitor.probe().sample({ processGroups: [], gpus: ['1'] });
    expect(Object.keys(given).filter((k) => k.startsWith('system/gpu')).sort()).toEqual([
      'system/gpu1/memory_percent',
      'system/gpu1/memory_used_mib',
      'system/gpu1/temperature_c',
      'system/gpu1/utilization_percent',
    ]);
  });

  it('stops asking nvidia-smi after three failures in a row', async () => {
    const calls = join(dir, 'calls');
    script('nvidia-smi', `echo x >> '${calls}'; echo "NVIDIA-SMI has failed" >&2; exit 9`);
    const probe = new LocalSystemMonitor({ env: { PATH: dir } }).probe();
    for (let i = 0; i < 5; i++) {
      const s = await probe.sample({ processGroups: [], gpus: null });
      expect(Object.keys(s).some((k) => k.startsWith('system/gpu'))).toBe(false);
    }
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('gives up on an nvidia-smi that hangs after 3 s', async () => {
    // The PATH holds only the script, so sleep is named by its path; exec, so the kill reaches it.
    script('nvidia-smi', `exec '${execFileSync('/bin/sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()}' 30`);
    const probe = new LocalSystemMonitor({ env: { PATH: dir } }).probe();
    const began = Date.now();
    const s = await probe.sample({ processGroups: [], gpus: null });
    expect(Date.now() - began).toBeGreaterThanOrEqual(2_900);
    expect(Date.now() - began).toBeLessThan(6_000);
    expect(s['system/memory_used_bytes']).toBeGreaterThan(0);
    expect(Object.keys(s).some((k) => k.startsWith('system/gpu'))).toBe(false);
  });
});
