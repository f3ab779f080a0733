export const paths = {
  setup: '/setup',
  login: '/login',
  dashboard: '/',
  providers: '/providers',
  channels: '/channels',
  rules: '/rules',
  jobs: '/jobs',
  settings: '/settings',
  users: '/users',
  outputs: '/outputs',
  account: '/account',
} as const;
