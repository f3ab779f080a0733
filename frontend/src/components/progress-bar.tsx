import { percent } from '@/lib/format';

export function ProgressBar({ progress, total, label }: { progress: number; total: number | null | undefined; label: string }) {
  const pct = percent(progress, total);
  return (
    <div
      className={`progress${pct === null ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
