import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { Loading } from '@/components/feedback';
import { AppLayout } from '@/app/layout';
import { paths } from '@/config/paths';
import { useLoggedIn } from '@/hooks/use-logged-in';

// One chunk per page (route-level code splitting).
const LoginRoute = lazy(() => import('@/app/routes/login'));
const DashboardRoute = lazy(() => import('@/app/routes/dashboard'));
const ProvidersRoute = lazy(() => import('@/app/routes/providers'));
const ChannelsRoute = lazy(() => import('@/app/routes/channels'));
const RulesRoute = lazy(() => import('@/app/routes/rules'));
const JobsRoute = lazy(() => import('@/app/routes/jobs'));
const SettingsRoute = lazy(() => import('@/app/routes/settings'));
const UsersRoute = lazy(() => import('@/app/routes/users'));
const OutputsRoute = lazy(() => import('@/app/routes/outputs'));
const AccountRoute = lazy(() => import('@/app/routes/account'));

function RequireAuth({ children }: { children: ReactNode }) {
  const loggedIn = useLoggedIn();
  const location = useLocation();
  if (!loggedIn) {
    const next = location.pathname + location.search;
    return <Navigate to={`${paths.login}${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <>{children}</>;
}

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path={paths.login} element={<Page><LoginRoute mode="login" /></Page>} />
      <Route path={paths.setup} element={<Page><LoginRoute mode="setup" /></Page>} />
      <Route
        element={
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        }
      >
        <Route index element={<Page><DashboardRoute /></Page>} />
        <Route path={paths.providers} element={<Page><ProvidersRoute /></Page>} />
        <Route path={paths.channels} element={<Page><ChannelsRoute /></Page>} />
        <Route path={paths.rules} element={<Page><RulesRoute /></Page>} />
        <Route path={paths.jobs} element={<Page><JobsRoute /></Page>} />
        <Route path={paths.settings} element={<Page><SettingsRoute /></Page>} />
        <Route path={paths.users} element={<Page><UsersRoute /></Page>} />
        <Route path={paths.outputs} element={<Page><OutputsRoute /></Page>} />
        <Route path={paths.account} element={<Page><AccountRoute /></Page>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        <a href={paths.dashboard}>Back to the dashboard</a>
      </p>
    </div>
  );
}
