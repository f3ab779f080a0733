import { PasswordForm } from '@/features/auth/components/password-form';
import { useMe } from '@/features/auth/api/get-me';

export default function AccountRoute() {
  const me = useMe();
  return (
    <div className="page">
      <h1>Your account</h1>
      {me.data ? (
        <p className="muted">
          Logged in as <strong>{me.data.username}</strong> ({me.data.role}).
        </p>
      ) : null}
      <section className="card">
        <h2>Change password</h2>
        <PasswordForm />
      </section>
    </div>
  );
}
