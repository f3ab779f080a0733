import { useState, type ReactNode } from 'react';

/** A destructive action that asks first, inline (no browser confirm popup). */
export function ConfirmButton({
  onConfirm,
  children,
  question,
  disabled,
  confirmLabel = 'Yes, do it',
}: {
  onConfirm: () => void;
  children: ReactNode;
  question: string;
  disabled?: boolean;
  confirmLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="btn btn-danger-outline" disabled={disabled} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="small">{question}</span>
      <button
        type="button"
        className="btn btn-danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="btn" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
