import type { ReactNode } from 'react';
import { errorMessage } from '@/lib/api-client';

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {errorMessage(error)}
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'ok' | 'warn'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children ? <div className="muted">{children}</div> : null}
      {action ? <div className="empty-action">{action}</div> : null}
    </div>
  );
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  const s = (status ?? 'unknown').toLowerCase();
  const tone =
    s === 'ok' || s === 'succeeded' || s === 'active' || s === 'success'
      ? 'ok'
      : s === 'failed' || s === 'error' || s === 'expired' || s === 'banned' || s === 'disabled'
        ? 'bad'
        : s === 'slow' || s === 'running' || s === 'queued' || s === 'skipped' || s === 'cancelled'
          ? 'warn'
          : 'neutral';
  return <span className={`badge badge-${tone}`}>{s}</span>;
}
