/**
 * A row of tabs (ARIA tablist). ``tabs`` is [key, label] pairs; the active one is ``value``.
 */
export function Tabs<K extends string>({
  label,
  tabs,
  value,
  onChange,
}: {
  label: string;
  tabs: readonly (readonly [K, string])[];
  value: K;
  onChange: (key: K) => void;
}) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map(([k, text]) => (
        <button key={k} type="button" role="tab" aria-selected={value === k} className={`tab${value === k ? ' active' : ''}`} onClick={() => onChange(k)}>
          {text}
        </button>
      ))}
    </div>
  );
}
