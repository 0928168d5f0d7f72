/**
 * @module services/project-loader
 * Finds a project's reprise.yaml (in the folder given or the nearest one above it) and
 * reads the files a run is resolved from: the config and the params file.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { RepriseError } from '../core/errors.js';
import type { Params } from '../core/params.js';
import { CONFIG_FILE, parseProjectConfig, type ProjectConfig } from '../core/project-config.js';

export interface LoadedProject {
  /** The folder holding reprise.yaml. */
  readonly dir: string;
  readonly configPath: string;
  readonly config: ProjectConfig;
  /** `name:` from the config, else the folder's name. */
  readonly name: string;
}

export async function loadProject(startDir: string): Promise<LoadedProject> {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (await isFile(candidate)) {
      const config = parseProjectConfig(await readFile(candidate, 'utf8'), candidate);
      return { dir, configPath: candidate, config, name: config.name ?? sanitizeName(basename(dir)) };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new RepriseError('REPRISE_ERR_CONFIG_NOT_FOUND', `no ${CONFIG_FILE} in ${resolve(startDir)} or any folder above it`, {
    hint: 'run `reprise init` in your project to write one',
    details: { path: resolve(startDir) },
  });
}

/** The params file's object, or {} when the project declares no params file. */
export async function readParamsFile(project: LoadedProject): Promise<Params> {
  const rel = project.config.params;
  if (rel === undefined) return {};
  const path = join(project.dir, rel);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RepriseError('REPRISE_ERR_PARAMS_FILE_MISSING', `the params file ${path} (params: ${rel} in ${CONFIG_FILE}) does not exist`, {
        hint: `create it with the run's parameters as a JSON object, e.g. {"epochs": 10}`,
        details: { path },
      });
    }
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RepriseError('REPRISE_ERR_PARAMS_FILE_INVALID', `the params file ${path} is not valid JSON: ${(e as Error).message}`, { details: { path } });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RepriseError('REPRISE_ERR_PARAMS_FILE_INVALID', `the params file ${path} must hold a JSON object ({"key": value, ...})`, { details: { path } });
  }
  return value as Params;
}

export function sanitizeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 64);
  return clean || 'project';
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
