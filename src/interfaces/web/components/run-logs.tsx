/**
 * A stage's log: combined, stdout or stderr. A running stage's log grows on screen from the
 * server's events; a piece that does not follow on from what is shown means something was
 * missed, so the rest is read from where the text ends. Only the last 1 MiB is kept.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, getText, isActiveStatus, type RunDetails, type RunManifest } from '../api.js';
import { formatBytes } from '../format.js';
import { useUrlState } from '../url-state.js';
import { LoadError } from './empty-state.js';
import { type SubscribeRunEvents } from './run-live.js';
import { stagesOf } from './run-overview.js';

const LOG_FILES = ['combined', 'stdout', 'stderr'] as const;
type LogFile = (typeof LOG_FILES)[number];
type StageStatus = RunManifest['execution']['stages'][number]['status'];

/** What the view keeps of a log; more is a download away. */
const KEEP_BYTES = 1024 * 1024;
/** Screen updates at most this often, however fast the lines come. */
const PAINT_MS = 100;

interface LogText {
  readonly text: string;
  /** Where the text ends in the file, in bytes: the offset to read on from. */
  readonly end: number;
  /** The start of the file is not shown. */
  readonly trimmed: boolean;
  /** No more can come (the stage ended). */
  readonly complete: boolean;
}

const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;

/** Keeps the last KEEP_BYTES or so, cut at a line start. */
function keepTail(text: string): { text: string; cut: boolean } {
  if (text.length <= KEEP_BYTES * 1.25) return { text, cut: false };
  const from = text.length - KEEP_BYTES;
  const lineStart = text.indexOf('\n', from);
  return { text: text.slice(lineStart >= 0 && lineStart - from < 4096 ? lineStart + 1 : from), cut: true };
}

/** Bytes in a response: its content-length when the body came as sent, else the UTF-8 size of its text. */
function bodyBytes(text: string, headers: Headers): number {
  const declared = headers.get('content-length');
  return declared !== null && !headers.has('content-encoding') ? Number(declared) : byteLength(text);
}

function useLog(runId: string, stage: string, file: LogFile, knownSize: number | null, subscribe: SubscribeRunEvents) {
  const [log, setLog] = useState<LogText | null>(null);
  const [error, setError] = useState<Error | null>(null);
  // The size only picks where a first read starts; a stage that ends while shown keeps its text.
  const sizeRef = useRef(knownSize);
  sizeRef.current = knownSize;
  useEffect(() => {
    const ctl = new AbortController();
    const size = sizeRef.current;
    const start = size !== null && size > KEEP_BYTES ? size - KEEP_BYTES : 0;
    let cur: LogText = { text: '', end: start, trimmed: start > 0, complete: false };
    let fetching = false;
    let missed = false;
    let paint: number | undefined;
    setLog(null);
    setError(null);
    const show = () => {
      if (paint !== undefined) return;
      paint = window.setTimeout(() => {
        paint = undefined;
        setLog(cur);
      }, PAINT_MS);
    };
    let skipToLineStart = start > 0;
    const append = (text: string, bytes: number, complete = cur.complete) => {
      let shown = text;
      // A read that starts inside the file starts inside a line: that line is left out.
      if (skipToLineStart) {
        const newline = text.indexOf('\n');
        shown = newline >= 0 ? text.slice(newline + 1) : '';
        skipToLineStart = newline < 0;
      }
      const kept = keepTail(cur.text + shown);
      cur = { text: kept.text, end: cur.end + bytes, trimmed: cur.trimmed || kept.cut, complete };
      show();
    };
    const readOn = async (): Promise<void> => {
      fetching = true;
      missed = false;
      try {
        const { text, headers } = await getText(`/runs/${encodeURIComponent(runId)}/logs/${encodeURIComponent(stage)}/${file}`, { offset: cur.end }, ctl.signal);
        append(text, bodyBytes(text, headers), headers.get('x-reprise-log-complete') === 'true');
        // A read is shown at once; only event pieces wait to be painted together.
        window.clearTimeout(paint);
        paint = undefined;
        setLog(cur);
      } catch (e) {
        if (!ctl.signal.aborted) setError(e as Error);
        return;
      } finally {
        fetching = false;
      }
      if (missed && !ctl.signal.aborted) await readOn();
    };
    void readOn();
    const unsubscribe = subscribe((e) => {
      if (e.type !== 'log' || e['stage'] !== stage || e['file'] !== file) return;
      if (fetching) {
        missed = true;
        return;
      }
      const text = String(e['text'] ?? '');
      const offset = Number(e['offset']);
      const bytes = byteLength(text);
      if (offset === cur.end) append(text, bytes);
      else if (offset + bytes > cur.end) void readOn();
    });
    return () => {
      ctl.abort();
      unsubscribe();
      window.clearTimeout(paint);
    };
  }, [runId, stage, file, subscribe]);
  return { log, error };
}

/** The stage to show when none is asked for: the one that failed, else the one running, else the last that started. */
function defaultStage(details: RunDetails, names: string[]): string {
  const stages = details.run.manifest.execution.stages;
  return (
    details.run.manifest.failure?.stage ??
    stages.find((s) => s.status === 'running')?.name ??
    [...stages].reverse().find((s) => s.startedAt !== null)?.name ??
    names[0] ??
    ''
  );
}

function emptyLogWords(stage: string, file: LogFile, status: StageStatus, runGoing: boolean, complete: boolean): string {
  if (status === 'pending' || status === 'skipped') return runGoing ? `Stage ${stage} has not started yet.` : `Stage ${stage} did not run.`;
  if (!complete) return `Nothing from stage ${stage} yet; its output appears here as it is written.`;
  return `Stage ${stage} wrote nothing to ${file === 'combined' ? 'stdout or stderr' : file}.`;
}

function LogView({ log, follow }: { log: LogText | null; follow: boolean }) {
  const pre = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = pre.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [log]);
  const onScroll = () => {
    const el = pre.current;
    if (el) atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
  };
  return (
    <pre className="log" data-testid="log-view" data-complete={log?.complete ? 'true' : 'false'} data-follow={follow ? 'true' : 'false'} ref={pre} onScroll={onScroll}>
      {log?.text ?? ''}
    </pre>
  );
}

export function RunLogs({ details, subscribe }: { details: RunDetails; subscribe: SubscribeRunEvents }) {
  const url = useUrlState();
  const runId = details.run.id;
  const stages = useMemo(() => stagesOf(details.run.manifest), [details]);
  const names = stages.map((s) => s.name);
  // Until a stage is picked, the log shown follows the run: the stage running now, or at
  // the end the one that failed (or the last). A picked stage stays (it is in the URL).
  const stage = url.get('stage') || defaultStage(details, names);
  const requestedFile = url.get('file', 'combined');
  const file: LogFile = (LOG_FILES as readonly string[]).includes(requestedFile) ? (requestedFile as LogFile) : 'combined';
  const record = stages.find((s) => s.name === stage);
  const knownSize = record?.logs?.[file].size ?? null;
  const { log, error } = useLog(runId, stage, file, knownSize, subscribe);
  const going = isActiveStatus(details.run.status) && (record?.status === 'running' || record?.status === 'pending');

  if (stages.length === 0) return <p className="muted">This run has no stages, so no logs.</p>;
  return (
    <div className="run-logs">
      <div className="toolbar">
        <label>
          Stage
          <select
            data-testid="log-stage"
            value={stage}
            onChange={(e) => url.set({ stage: e.target.value })}
          >
            {stages.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} ({s.status})
              </option>
            ))}
          </select>
        </label>
        <label>
          Stream
          <select
            data-testid="log-file"
            value={file}
            onChange={(e) => url.set({ file: e.target.value === 'combined' ? null : e.target.value })}
          >
            <option value="combined">stdout and stderr</option>
            <option value="stdout">stdout</option>
            <option value="stderr">stderr</option>
          </select>
        </label>
        <span className="grow" />
        <span className="muted" data-testid="log-state">
          {log ? `${formatBytes(log.end)}${going && !log.complete ? ' · following as it is written' : ''}` : 'Loading…'}
        </span>
        <a href={api.logUrl(runId, stage, file)} download={`${stage}.${file}.log`} data-testid="log-download">
          Download
        </a>
      </div>
      {error ? <LoadError error={error} /> : null}
      {log?.trimmed ? (
        <p className="note" data-testid="log-trimmed">
          Showing the last {formatBytes(KEEP_BYTES)} of {formatBytes(log.end)}.{' '}
          <a href={api.logUrl(runId, stage, file)} download={`${stage}.${file}.log`}>
            Download the whole log
          </a>
          .
        </p>
      ) : null}
      {log && log.text === '' ? (
        <p className="muted" data-testid="log-empty">
          {emptyLogWords(stage, file, record?.status ?? 'pending', isActiveStatus(details.run.status), log.complete)}
        </p>
      ) : null}
      <LogView log={log} follow={going} />
    </div>
  );
}
