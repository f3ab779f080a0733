import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { paths } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { useLogout } from '@/features/auth/api/logout';
import { RoleContext } from '@/hooks/use-role';
import { useTheme, type Theme } from '@/hooks/use-theme';
import { connectJobEvents, onJobFinished } from '@/lib/job-events';

const NAV: Array<{ to: string; label: string; admin?: boolean }> = [
  { to: paths.dashboard, label: 'Dashboard' },
  { to: paths.channels, label: 'Channels' },
  { to: paths.guide, label: 'TV guide' },
  { to: paths.movies, label: 'Movies' },
  { to: paths.series, label: 'Series' },
  { to: paths.providers, label: 'Providers', admin: true },
  { to: paths.lineups, label: 'Lineups', admin: true },
  { to: paths.outputs, label: 'Outputs' },
  { to: paths.viewing, label: 'Viewing' },
  { to: paths.jobs, label: 'Jobs' },
  { to: paths.rules, label: 'Merge rules', admin: true },
  { to: paths.settings, label: 'Settings', admin: true },
  { to: paths.users, label: 'Users', admin: true },
];

/** Keeps the live job stream open and refreshes what a finished job changed. */
function useJobStream() {
  const qc = useQueryClient();
  useEffect(() => connectJobEvents(), []);
  useEffect(
    () =>
      onJobFinished((job) => {
        void qc.invalidateQueries({ queryKey: ['dashboard'] });
        void qc.invalidateQueries({ queryKey: ['jobs', 'list'] });
        const kind = job.kind ?? '';
        // A VOD sync ("vod_sync") also writes the library: movies and series change, not channels.
        if (kind.includes('vod') || kind.includes('strm')) {
          void qc.invalidateQueries({ queryKey: ['vod'] });
        } else if (!kind || kind.includes('sync')) {
          void qc.invalidateQueries({ queryKey: ['providers'] });
          void qc.invalidateQueries({ queryKey: ['channels'] });
          void qc.invalidateQueries({ queryKey: ['categories'] });
          void qc.invalidateQueries({ queryKey: ['lineups'] }); // rules are re-applied after a sync
        } else if (kind.includes('health')) {
          void qc.invalidateQueries({ queryKey: ['channels'] });
        } else if (kind.includes('epg')) {
          void qc.invalidateQueries({ queryKey: ['guide'] });
        }
      }),
    [qc],
  );
}

const NEXT_THEME: Record<Theme, Theme> = { system: 'dark', dark: 'light', light: 'system' };

export function AppLayout() {
  useJobStream();
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const [theme, setTheme] = useTheme();
  // The menu is open for the page it was opened on, so navigating closes it.
  const { pathname } = useLocation();
  const [menuPath, setMenuPath] = useState<string | null>(null);
  const menuOpen = menuPath === pathname;
  const isAdmin = me.data?.role === 'admin';

  return (
    <RoleContext.Provider value={me.data?.role ?? null}>
      <div className="shell">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <button
            type="button"
            className="btn btn-ghost menu-button"
            aria-expanded={menuOpen}
            aria-controls="nav"
            onClick={() => setMenuPath(menuOpen ? null : pathname)}
          >
            ☰<span className="sr-only"> Menu</span>
          </button>
          <NavLink to={paths.dashboard} className="brand">
            strmline
          </NavLink>
          <div className="topbar-actions">
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => setTheme(NEXT_THEME[theme])}
              title="Switch theme"
              aria-label={`Theme: ${theme}. Switch to ${NEXT_THEME[theme]}`}
            >
              {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
            </button>
            <NavLink to={paths.account} className="btn btn-ghost">
              {me.data?.username ?? 'Account'}
            </NavLink>
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => logout.mutate(undefined, { onSettled: () => navigate(paths.login) })}
            >
              Log out
            </button>
          </div>
        </header>
        <nav id="nav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || isAdmin).map((n) => (
              <li key={n.to}>
                <NavLink to={n.to} end={n.to === '/'}>
                  {n.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </RoleContext.Provider>
  );
}
