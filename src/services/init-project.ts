/**
 * @module services/init-project
 * `reprise init`: writes a commented reprise.yaml guessed from the files in the folder
 * (params file, requirements, the usual pipeline scripts). It never replaces an existing
 * file unless forced, and writes atomically so a failure leaves nothing half-written.
 */
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RepriseError } from '../core/errors.js';
import { CONFIG_FILE, parseProjectConfig } from '../core/project-config.js';
import { sanitizeName } from './project-loader.js';
import { pathExists } from '../platform/path-exists.js';

/** Pipeline steps in order, each with the script names that usually hold it. */
const STAGE_GUESSES: readonly { stage: string; files: readonly string[] }[] = [
  { stage: 'load', files: ['load_data.py', 'load.py', 'fetch_data.py', 'download.py', 'get_data.py'] },
  { stage: 'preprocess', files: ['preprocess.py', 'prepare.py', 'prepare_data.py', 'features.py'] },
  { stage: 'train', files: ['train.py', 'fit.py', 'main.py', 'run.py'] },
  { stage: 'evaluate', files: ['evaluate.py', 'eval.py', 'validate.py'] },
  { stage: 'persist', files: ['persist.py', 'export.py', 'save_model.py'] },
];

const PARAMS_GUESSES = ['input.json', 'params.json', 'config.json'];
const REQUIREMENTS_GUESSES = ['requirements.txt'];

export interface InitResult {
  readonly path: string;
  readonly text: string;
  /** What was guessed, for the message shown to the user. */
  readonly found: { params: string | null; requirements: string | null; stages: { name: string; cmd: string }[]; guessedStages: boolean };
}

export async function initProject(dir: string, opts: { force?: boolean } = {}): Promise<InitResult> {
  const path = join(dir, CONFIG_FILE);
  if (!opts.force && (await pathExists(path))) {
    throw new RepriseError('REPRISE_ERR_INIT_EXISTS', `${path} already exists; it was left as it is`, {
      hint: 'pass --force to replace it',
      details: { path },
    });
  }
  const files = new Set(await readdir(dir).catch(() => [] as string[]));
  const params = PARAMS_GUESSES.find((f) => files.has(f)) ?? null;
  const requirements = REQUIREMENTS_GUESSES.find((f) => files.has(f)) ?? null;
  const stages: { name: string; cmd: string }[] = [];
  for (const g of STAGE_GUESSES) {
    const file = g.files.find((f) => files.has(f));
    if (file) stages.push({ name: g.stage, cmd: `python ${file}` });
  }
  const guessedStages = stages.length > 0;
  if (!guessedStages) stages.push({ name: 'train', cmd: 'python train.py' });

  const text = render({ name: sanitizeName(basename(dir)), params, requirements, stages, guessedStages });
  // What init writes must be what run accepts.
  parseProjectConfig(text, path);

  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { path, text, found: { params, requirements, stages, guessedStages } };
}

function render(p: { name: string; params: string | null; requirements: string | null; stages: { name: string; cmd: string }[]; guessedStages: boolean }): string {
  const lines: string[] = [
    '# reprise.yaml: how Reprise runs this project. Reference: docs/reprise-yaml.md',
    '',
    '# The project name runs are listed under.',
    `name: ${p.name}`,
    '',
  ];
  lines.push('# The params file. `reprise run -p key=value` overrides its values; the run\'s resolved');
  lines.push('# params are written back to this path inside the run\'s workspace, so code reading it sees them.');
  lines.push(p.params ? `params: ${p.params}` : '# params: input.json');
  lines.push('');
  lines.push('# Exported to every stage as REPRISE_SEED and PYTHONHASHSEED; without it each run draws one.');
  lines.push('seed: 42');
  lines.push('');
  lines.push('# The environment: the Python version stages run with and the requirements recorded with the run.');
  if (p.requirements) {
    lines.push('env:', `  requirements: ${p.requirements}`, '  # python: "3.11"');
  } else {
    lines.push('# env:', '#   requirements: requirements.txt', '#   python: "3.11"');
  }
  lines.push('');
  lines.push('# The pipeline: stages run in order, in a fresh workspace holding this commit plus your');
  lines.push('# uncommitted changes. A stage that exits non-zero fails the run.');
  if (!p.guessedStages) lines.push('# No pipeline scripts were found: edit this stage to run your code.');
  lines.push('stages:');
  for (const s of p.stages) lines.push(`  - { name: ${s.name}, cmd: ${s.cmd} }`);
  lines.push('');
  lines.push('# Everything written to $REPRISE_OUTPUT_DIR and $REPRISE_MODEL_DIR is stored with the run.');
  lines.push('# Paths listed here (inside the project) are stored too.');
  lines.push('# outputs: [reports, plots/loss.png]');
  lines.push('');
  lines.push('# The model: `path` makes $REPRISE_MODEL_DIR that folder of the workspace; `name` is the');
  lines.push('# registered model it becomes when a run is promoted.');
  lines.push(`# model: { path: model, name: ${p.name} }`);
  lines.push('');
  return lines.join('\n');
}

