import { useState, type FormEvent } from 'react';
import { ErrorMessage, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useChangePassword } from '@/features/auth/api/change-password';

export function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const mutation = useChangePassword();
  const fields = fieldErrors(mutation.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next !== repeat) return;
    mutation.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
          setRepeat('');
        },
      },
    );
  };
  return (
    <form className="stack narrow" onSubmit={submit} aria-label="Change password">
      <div className="field">
        <label htmlFor="pw-current">Current password</label>
        <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="pw-new">New password</label>
        <input id="pw-new" type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} aria-invalid={!!fields.new_password} />
        {fields.new_password ? <div className="field-error">{fields.new_password}</div> : null}
      </div>
      <div className="field">
        <label htmlFor="pw-repeat">Repeat the new password</label>
        <input id="pw-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} aria-invalid={mismatch} />
        {mismatch ? <div className="field-error">The two passwords differ.</div> : null}
      </div>
      {mutation.isSuccess ? <Notice kind="ok">Password changed. Other sessions have been logged out.</Notice> : null}
      <ErrorMessage error={Object.keys(fields).length ? null : mutation.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
          Change password
        </button>
      </div>
    </form>
  );
}
