/**
 * A Cancel button that asks first, inline ("Cancel run? Yes / No"): a dialog of the
 * browser's own would stop the page's refreshes while it waits. A refusal shows in the
 * server's words beside it. Other actions that want a second thought (Revoke, Flag) use it too.
 */
import { useState } from 'react';

export interface CancelButtonProps {
  /** The question asked before it goes ahead, e.g. "Cancel run?". */
  question: string;
  /** Does the cancel; what it resolves to is not used. */
  onConfirm: () => Promise<unknown>;
  /** Called once the cancel went through (to load the view again). */
  onDone: () => void;
  testId: string;
  label?: string;
  title?: string;
  /** What the Yes button says while the request goes. */
  busyLabel?: string;
}

export function CancelButton({ question, onConfirm, onDone, testId, label = 'Cancel', title, busyLabel = 'Canceling…' }: CancelButtonProps) {
  const [step, setStep] = useState<'idle' | 'asking' | 'sending'>('idle');
  const [error, setError] = useState<string | undefined>(undefined);

  const confirm = async () => {
    setStep('sending');
    setError(undefined);
    try {
      await onConfirm();
      setStep('idle');
      onDone();
    } catch (e) {
      setStep('asking');
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (step === 'idle') {
    return (
      <button type="button" className="cancel-button" data-testid={testId} title={title} onClick={() => setStep('asking')}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm-cancel" role="group" aria-label={question} data-testid={`confirm-${testId}`}>
      <span>{question}</span>
      <button type="button" className="danger" data-testid="confirm-yes" disabled={step === 'sending'} onClick={() => void confirm()}>
        {step === 'sending' ? busyLabel : 'Yes'}
      </button>
      <button type="button" data-testid="confirm-no" disabled={step === 'sending'} onClick={() => setStep('idle')}>
        No
      </button>
      {error ? (
        <span className="error-text" role="alert" data-testid="cancel-error">
          {error}
        </span>
      ) : null}
    </span>
  );
}
