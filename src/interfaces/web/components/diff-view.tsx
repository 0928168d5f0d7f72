/** A unified diff (`git diff` output) in colour: file headers, hunk headers, added and removed lines. */
import { useMemo } from 'react';

type LineKind = 'file' | 'hunk' | 'add' | 'del' | 'ctx';

/** `---`/`+++` name files only right before a hunk; elsewhere in a hunk they are changed lines. */
function startsFile(lines: readonly string[], i: number): boolean {
  const line = lines[i]!;
  if (line.startsWith('--- ')) return lines[i + 1]?.startsWith('+++ ') === true && lines[i + 2]?.startsWith('@@') === true;
  return line.startsWith('+++ ') && i > 0 && startsFile(lines, i - 1);
}

/** A file's header lines run from `diff --git` to its first hunk. */
function classify(lines: readonly string[]): LineKind[] {
  let inHeader = false;
  return lines.map((line, i): LineKind => {
    if (line.startsWith('diff --git ') || line.startsWith('diff --cc ')) {
      inHeader = true;
      return 'file';
    }
    if (line.startsWith('@@')) {
      inHeader = false;
      return 'hunk';
    }
    if (inHeader || startsFile(lines, i)) return 'file';
    if (line.startsWith('+')) return 'add';
    if (line.startsWith('-')) return 'del';
    return 'ctx';
  });
}

export function DiffView({ text, maxLines = 20_000, testId = 'diff' }: { text: string; maxLines?: number; testId?: string }) {
  const { lines, kinds, total } = useMemo(() => {
    const all = text.replace(/\n$/, '').split('\n');
    const shown = all.slice(0, maxLines);
    return { lines: shown, kinds: classify(shown), total: all.length };
  }, [text, maxLines]);
  return (
    <>
      <pre className="diff" data-testid={testId}>
        {lines.map((line, i) => (
          <span key={i} className={kinds[i] === 'ctx' ? undefined : kinds[i]}>
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
      {total > maxLines ? (
        <p className="muted" data-testid="diff-cut">
          Showing the first {maxLines.toLocaleString('en-US')} of {total.toLocaleString('en-US')} lines.
        </p>
      ) : null}
    </>
  );
}
