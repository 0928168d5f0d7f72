/** A table's or a result's columns: each name with its type, as the lake's engine names it. */
import type { DataColumn } from '../api.js';

export function DataSchema({ columns, testId = 'data-schema' }: { columns: readonly DataColumn[]; testId?: string }) {
  return (
    <span className="data-schema" data-testid={testId}>
      {columns.map((c) => (
        <span key={c.name} className="data-column" data-column={c.name} data-type={c.type}>
          {c.name} <span className="data-type">{c.type}</span>
        </span>
      ))}
    </span>
  );
}
