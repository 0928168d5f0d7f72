import type { ReactNode } from 'react';

/** What to do when there is nothing to show yet. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** A failed load, in the server's words. */
export function LoadError({ error }: { error: Error & { hint?: string; code?: string } }) {
  return (
    <div className="load-error" role="alert" data-testid="load-error">
      <strong>Could not load this view.</strong> {error.message}
      {error.hint ? <div className="hint">{error.hint}</div> : null}
    </div>
  );
}
