/** A list of facts as label and value, each row findable by its label (`data-key`). */
import type { ReactNode } from 'react';

export type FactRow = [string, ReactNode];

export function Facts({ rows, testId }: { rows: FactRow[]; testId?: string }) {
  return (
    <dl className="kv" {...(testId ? { 'data-testid': testId } : {})}>
      {rows.map(([k, v]) => (
        <div key={k} className="kv-row" data-key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
