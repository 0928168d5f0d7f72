import { useState } from 'react';

/** Puts a text on the clipboard. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without clipboard access (plain http on another host): the old way.
    const t = document.createElement('textarea');
    t.value = text;
    document.body.appendChild(t);
    t.select();
    document.execCommand('copy');
    t.remove();
  }
}

/** A button that copies a text and says so for a moment. */
function useCopied(): [boolean, (text: string) => Promise<void>] {
  const [copied, setCopied] = useState(false);
  const copy = async (text: string) => {
    await copyText(text);
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1500);
  };
  return [copied, copy];
}

/** Copies the address of the view as it is now (its settings are in the URL). */
export function CopyLink() {
  const [copied, copy] = useCopied();
  return (
    <button type="button" className="copy-link" onClick={() => void copy(window.location.href)} data-testid="copy-link" title="Copy a link to this view, with its filters and settings">
      {copied ? 'Link copied' : 'Copy link'}
    </button>
  );
}

/** A command to type, with a button that copies it. */
export function CopyCommand({ command, testId }: { command: string; testId?: string }) {
  const [copied, copy] = useCopied();
  return (
    <span className="copy-command" data-testid={testId}>
      <code>{command}</code>
      <button type="button" onClick={() => void copy(command)} title="Copy the command">
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
