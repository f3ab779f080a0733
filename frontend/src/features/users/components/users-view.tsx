import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '@/components/confirm-button';
import { ErrorMessage, Loading, StatusBadge } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { useDeleteUser, useSaveUser, useUsers } from '@/features/users/api/users';
import type { User } from '@/types/api';

function NewUserForm() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('user');
  const save = useSaveUser();
  const f = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(
      { id: null, body: { username: username.trim(), password, role } },
      {
        onSuccess: () => {
          setUsername('');
          setPassword('');
        },
      },
    );
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label="Add a user">
      <h2>Add a user</h2>
      <div className="grid-rule">
        <div className="field">
          <label htmlFor="nu-name">Username</label>
          <input id="nu-name" required value={username} autoComplete="off" onChange={(e) => setUsername(e.target.value)} aria-invalid={!!f.username} />
          {f.username ? <div className="field-error">{f.username}</div> : null}
        </div>
        <div className="field">
          <label htmlFor="nu-pw">Password</label>
          <input id="nu-pw" type="password" required minLength={8} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={!!f.password} />
          {f.password ? <div className="field-error">{f.password}</div> : null}
        </div>
        <div className="field">
          <label htmlFor="nu-role">Role</label>
          <select id="nu-role" value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="user">User (watches, gets playlist URLs)</option>
            <option value="admin">Admin (manages everything)</option>
          </select>
        </div>
      </div>
      <ErrorMessage error={Object.keys(f).length ? null : save.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Add user
        </button>
      </div>
    </form>
  );
}

function UserRow({ u }: { u: User }) {
  const save = useSaveUser();
  const del = useDeleteUser();
  const [pw, setPw] = useState('');
  return (
    <li className="card stack">
      <div className="row-between wrap">
        <span>
          <strong>{u.username}</strong> <span className="badge badge-neutral">{u.role}</span>{' '}
          <StatusBadge status={u.is_active ? 'active' : 'disabled'} />
        </span>
        <span className="row gap-sm wrap">
          <button type="button" className="btn btn-small" disabled={save.isPending} onClick={() => save.mutate({ id: u.id, body: { role: u.role === 'admin' ? 'user' : 'admin' } })}>
            Make {u.role === 'admin' ? 'user' : 'admin'}
          </button>
          <button type="button" className="btn btn-small" disabled={save.isPending} onClick={() => save.mutate({ id: u.id, body: { is_active: !u.is_active } })}>
            {u.is_active ? 'Disable' : 'Enable'}
          </button>
          <ConfirmButton question={`Delete ${u.username}?`} confirmLabel="Delete" onConfirm={() => del.mutate(u.id)}>
            Delete
          </ConfirmButton>
        </span>
      </div>
      <form
        className="row gap wrap"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ id: u.id, body: { password: pw } }, { onSuccess: () => setPw('') });
        }}
      >
        <label htmlFor={`pw-${u.id}`} className="sr-only">
          New password for {u.username}
        </label>
        <input id={`pw-${u.id}`} type="password" minLength={8} placeholder="New password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
        <button type="submit" className="btn btn-small" disabled={!pw || save.isPending}>
          Set password
        </button>
      </form>
      <ErrorMessage error={save.error ?? del.error} />
    </li>
  );
}

export function UsersView() {
  const users = useUsers();
  return (
    <div className="stack-lg">
      <h1>Users</h1>
      <p className="muted">Each user has their own playlist, guide and tuner URLs (see Outputs) and their own favourites.</p>
      <NewUserForm />
      {users.isPending ? <Loading /> : null}
      <ErrorMessage error={users.error} title="Users could not be loaded" />
      <ul className="plain-list stack">{users.data?.map((u) => <UserRow key={u.id} u={u} />)}</ul>
    </div>
  );
}
