import { lazy, Suspense, useContext, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { Loading } from '@/components/feedback';
import { AppLayout } from '@/app/layout';
import { paths } from '@/config/paths';
import { useLoggedIn } from '@/hooks/use-logged-in';
import { RoleContext } from '@/hooks/use-role';
import { loggedOutOnPurpose } from '@/lib/auth';

// One chunk per page (route-level code splitting).
const LoginRoute = lazy(() => import('@/app/routes/login'));
const DashboardRoute = lazy(() => import('@/app/routes/dashboard'));
const ProvidersRoute = lazy(() => import('@/app/routes/providers'));
const ChannelsRoute = lazy(() => import('@/app/routes/channels'));
const RulesRoute = lazy(() => import('@/app/routes/rules'));
const LineupsRoute = lazy(() => import('@/app/routes/lineups'));
const ViewingRoute = lazy(() => import('@/app/routes/viewing'));
const JobsRoute = lazy(() => import('@/app/routes/jobs'));
const SettingsRoute = lazy(() => import('@/app/routes/settings'));
const UsersRoute = lazy(() => import('@/app/routes/users'));
const OutputsRoute = lazy(() => import('@/app/routes/outputs'));
const AccountRoute = lazy(() => import('@/app/routes/account'));
const GuideRoute = lazy(() => import('@/app/routes/guide'));
const MoviesRoute = lazy(() => import('@/app/routes/movies'));
const SeriesRoute = lazy(() => import('@/app/routes/series'));

function RequireAuth({ children }: { children: ReactNode }) {
  const loggedIn = useLoggedIn();
  const location = useLocation();
  if (!loggedIn) {
    // An expired session returns to where the user was; pressing "Log out" starts over.
    const next = location.pathname + location.search;
    const keep = next !== '/' && !loggedOutOnPurpose();
    return <Navigate to={`${paths.login}${keep ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <>{children}</>;
}

/** Admin pages: anyone else (e.g. a viewer arriving through `next=`) goes to the dashboard. */
function AdminOnly({ children }: { children: ReactNode }) {
  const role = useContext(RoleContext);
  if (role === null) return <Loading />;
  if (role !== 'admin') return <Navigate to={paths.dashboard} replace />;
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
        <Route path={paths.providers} element={<AdminOnly><Page><ProvidersRoute /></Page></AdminOnly>} />
        <Route path={paths.channels} element={<Page><ChannelsRoute /></Page>} />
        <Route path={paths.guide} element={<Page><GuideRoute /></Page>} />
        <Route path={paths.movies} element={<Page><MoviesRoute /></Page>} />
        <Route path={paths.series} element={<Page><SeriesRoute /></Page>} />
        <Route path={paths.rules} element={<AdminOnly><Page><RulesRoute /></Page></AdminOnly>} />
        <Route path={paths.lineups} element={<AdminOnly><Page><LineupsRoute /></Page></AdminOnly>} />
        <Route path={paths.viewing} element={<Page><ViewingRoute /></Page>} />
        <Route path={paths.jobs} element={<Page><JobsRoute /></Page>} />
        <Route path={paths.settings} element={<AdminOnly><Page><SettingsRoute /></Page></AdminOnly>} />
        <Route path={paths.users} element={<AdminOnly><Page><UsersRoute /></Page></AdminOnly>} />
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
