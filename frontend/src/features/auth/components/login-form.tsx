import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useLogin } from '@/features/auth/api/login';

/** The login form, or on first run the form that creates the admin account. */
export function LoginForm({ mode, onDone }: { mode: 'login' | 'setup'; onDone: () => void }) {
  const [username, setUsername] = useState(mode === 'setup' ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const mutation = useLogin(mode);
  const fields = fieldErrors(mutation.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    if (mode === 'setup' && password !== confirm) {
      setLocalError('The two passwords differ.');
      return;
    }
    mutation.mutate({ username: username.trim(), password }, { onSuccess: onDone });
  };

  return (
    <form className="stack" onSubmit={submit} aria-label={mode === 'setup' ? 'Create the admin account' : 'Log in'}>
      <div className="field">
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={!!fields.username}
        />
        {fields.username ? <div className="field-error">{fields.username}</div> : null}
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={mode === 'setup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'setup' ? 8 : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={!!fields.password}
        />
        {fields.password ? <div className="field-error">{fields.password}</div> : null}
      </div>
      {mode === 'setup' ? (
        <div className="field">
          <label htmlFor="confirm">Repeat the password</label>
          <input
            id="confirm"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </div>
      ) : null}
      {localError ? (
        <div className="alert alert-error" role="alert">
          {localError}
        </div>
      ) : (
        <ErrorMessage error={mutation.error} />
      )}
      <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
        {mutation.isPending ? 'Please wait…' : mode === 'setup' ? 'Create admin and continue' : 'Log in'}
      </button>
    </form>
  );
}
