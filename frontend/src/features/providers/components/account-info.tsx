import { useState } from 'react';
import { StatusBadge } from '@/components/feedback';
import { formatDate, formatNumber } from '@/lib/format';
import type { Account } from '@/types/api';

export function AccountInfo({ account }: { account: Account }) {
  const [now] = useState(Date.now); // when the panel opened, so a re-render never flips it
  const expires = account.expires_at ? new Date(account.expires_at) : null;
  const soon = expires ? expires.getTime() - now < 7 * 86400_000 : false;
  return (
    <dl className="kv small">
      <dt>Account</dt>
      <dd>
        <StatusBadge status={account.status} />
      </dd>
      <dt>Expires</dt>
      <dd className={soon ? 'bad-text' : undefined}>{expires ? formatDate(account.expires_at) : 'never'}</dd>
      <dt>Connections</dt>
      <dd>
        {formatNumber(account.active_connections ?? 0)} in use of {account.max_connections ?? 'unlimited'}
      </dd>
      {account.allowed_formats?.length ? (
        <>
          <dt>Formats</dt>
          <dd>{account.allowed_formats.join(', ')}</dd>
        </>
      ) : null}
    </dl>
  );
}
