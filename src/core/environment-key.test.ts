import { describe, expect, it } from 'vitest';
import { environmentHash, nestedRequirementFiles, normalizeRequirements, pipOptionArgs, pipOptionsFrom, type EnvironmentKeyInput } from './environment-key.js';

const base: EnvironmentKeyInput = {
  pythonVersion: '3.11.7',
  platform: 'linux-x64',
  source: 'requirements',
  files: [{ path: 'requirements.txt', text: 'numpy==1.26.4\n' }],
  pip: pipOptionsFrom(undefined),
};

describe('environmentHash', () => {
  it('is stable for equal inputs and changes with each part of the key', () => {
    expect(environmentHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(environmentHash({ ...base, files: [...base.files] })).toBe(environmentHash(base));
    const variants: EnvironmentKeyInput[] = [
      { ...base, pythonVersion: '3.11.8' },
      { ...base, platform: 'linux-arm64' },
      { ...base, source: 'lock' },
      { ...base, files: [{ path: 'requirements.txt', text: 'numpy==1.26.3\n' }] },
      { ...base, files: [{ path: 'requirements.txt', text: 'numpy==1.26.4\nscipy==1.11.4\n' }] },
      { ...base, pip: { ...base.pip, noIndex: true } },
      { ...base, pip: { ...base.pip, indexUrl: 'https://mirror.example/simple' } },
    ];
    const hashes = new Set([environmentHash(base), ...variants.map(environmentHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe('what counts as a change of requirements', () => {
  it('ignores comments, blank lines, spacing and line continuations', () => {
    const tidy = { ...base, files: [{ path: 'requirements.txt', text: 'numpy==1.26.4\nscipy>=1.11 ; python_version >= "3.9"\n' }] };
    const messy = {
      ...base,
      files: [{ path: 'requirements.txt', text: '# pinned for the paper\n\n  numpy==1.26.4   # fast\r\nscipy>=1.11 \\\n  ; python_version >= "3.9"\n\n' }],
    };
    expect(environmentHash(messy)).toBe(environmentHash(tidy));
  });

  it('keeps what pip reads, # inside a URL fragment included', () => {
    expect(normalizeRequirements('pkg @ https://host/pkg.whl#sha256=abc  # pinned\n')).toBe('pkg @ https://host/pkg.whl#sha256=abc');
  });
});

describe('pip options', () => {
  it('reads one or many values and turns them into pip arguments, resolving local links', () => {
    const pip = pipOptionsFrom({ index_url: 'https://i/simple', extra_index_url: ['https://a', 'https://b'], find_links: 'wheels', no_index: true });
    expect(pipOptionArgs(pip, (p) => `/ws/${p}`)).toEqual([
      '--index-url', 'https://i/simple',
      '--extra-index-url', 'https://a',
      '--extra-index-url', 'https://b',
      '--find-links', '/ws/wheels',
      '--no-index',
    ]);
    expect(pipOptionArgs(pipOptionsFrom({ find_links: 'https://host/wheels/' }), () => 'unused')).toEqual(['--find-links', 'https://host/wheels/']);
  });
});

describe('nestedRequirementFiles', () => {
  it('finds -r and -c includes in every spelling, ignoring comments and URLs', () => {
    const text = ['-r base.txt', '--requirement=dev/extra.txt', '-c constraints.txt', '--constraint   pins.txt', '# -r commented.txt', 'numpy==1.26.4', '-r https://example.com/req.txt'].join('\n');
    expect(nestedRequirementFiles(text)).toEqual(['base.txt', 'dev/extra.txt', 'constraints.txt', 'pins.txt']);
  });
});
