import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ErrorMessage, Loading } from '@/components/feedback';
import { paths } from '@/config/paths';
import { useSetupState } from '@/features/auth/api/get-setup';
import { LoginForm } from '@/features/auth/components/login-form';
import { useLoggedIn } from '@/hooks/use-logged-in';

export default function LoginRoute({ mode }: { mode: 'login' | 'setup' }) {
  const setup = useSetupState();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const loggedIn = useLoggedIn();
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : paths.dashboard;

  // Right after first-run setup the next step is adding a provider.
  if (loggedIn) return <Navigate to={mode === 'setup' ? paths.providers : target} replace />;
  if (setup.isPending) return <Loading />;
  if (setup.data?.needs_setup && mode === 'login') return <Navigate to={paths.setup} replace />;
  if (setup.data && !setup.data.needs_setup && mode === 'setup') return <Navigate to={paths.login} replace />;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1 className="brand-lg">strmline</h1>
        {mode === 'setup' ? (
          <>
            <h2>Welcome</h2>
            <p className="muted">
              First run: create the administrator account. You can add more users later under Users.
            </p>
          </>
        ) : (
          <h2>Log in</h2>
        )}
        <ErrorMessage error={setup.error} />
        <LoginForm mode={mode} onDone={() => navigate(mode === 'setup' ? paths.providers : target, { replace: true })} />
      </div>
    </main>
  );
}
