import { useState } from 'react';

/** Copies the address of the view as it is now (its settings are in the URL). */
export function CopyLink() {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const url = window.location.href;
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // Without clipboard access (plain http on another host): the old way.
      const t = document.createElement('textarea');
      t.value = url;
      document.body.appendChild(t);
      t.select();
      document.execCommand('copy');
      t.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" className="copy-link" onClick={() => void copy()} data-testid="copy-link" title="Copy a link to this view, with its filters and settings">
      {copied ? 'Link copied' : 'Copy link'}
    </button>
  );
}
