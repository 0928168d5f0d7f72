import { describe, expect, it } from 'vitest';
import { renderDockerfile, type DockerfileSpec } from './dockerfile.js';
import { pipOptionsFrom } from './environment-key.js';

const spec: DockerfileSpec = {
  project: 'iris',
  pythonVersion: '3.11.7',
  env: { kind: 'requirements', files: ['requirements.txt', 'extra/gpu.txt'] },
  pip: pipOptionsFrom({ index_url: 'https://mirror.example/simple', find_links: 'wheels' }),
  envHash: 'e'.repeat(64),
  tag: 'reprise/iris:0123456789ab',
  commit: 'c'.repeat(40),
  subdir: 'models/iris',
};

describe('renderDockerfile', () => {
  it('pins the exact Python, installs the environment before the code, and labels the image', () => {
    const text = renderDockerfile(spec);
    const lines = text.split('\n');
    expect(lines).toContain('FROM python:3.11.7-slim-bookworm');
    const install = lines.findIndex((l) => l.startsWith('RUN python -m venv /opt/venv'));
    expect(lines[install]).toBe(
      'RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r /opt/reprise-env/requirements.txt -r /opt/reprise-env/extra/gpu.txt --index-url https://mirror.example/simple --find-links /opt/reprise-env/wheels',
    );
    expect(lines.indexOf('COPY env/ /opt/reprise-env/')).toBeLessThan(install);
    expect(lines.indexOf('COPY code/ /workspace/')).toBeGreaterThan(install);
    expect(lines).toContain('WORKDIR /workspace/models/iris');
    expect(text).toContain(`dev.reprise.env-hash="${'e'.repeat(64)}"`);
    expect(text).toContain(`org.opencontainers.image.revision="${'c'.repeat(40)}"`);
    // Runs inside the image record which image they ran in.
    expect(lines).toContain('ENV REPRISE_IMAGE=reprise/iris:0123456789ab');
  });

  it('installs a lock when given one, and nothing when there is no environment', () => {
    expect(renderDockerfile({ ...spec, env: { kind: 'lock', file: 'lock.txt' }, pip: pipOptionsFrom(undefined) })).toContain(
      'RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r /opt/reprise-env/lock.txt\n',
    );
    const none = renderDockerfile({ ...spec, env: { kind: 'none' }, pip: pipOptionsFrom(undefined), envHash: null, subdir: '' });
    expect(none).toContain('RUN python -m venv /opt/venv\n');
    expect(none).not.toContain('env-hash');
    expect(none).toContain('WORKDIR /workspace\n');
  });

  it('quotes pip arguments the shell would split', () => {
    const text = renderDockerfile({ ...spec, pip: pipOptionsFrom({ extra_index_url: 'https://u:p w@host/simple' }) });
    expect(text).toContain("--extra-index-url 'https://u:p w@host/simple'");
  });
});
