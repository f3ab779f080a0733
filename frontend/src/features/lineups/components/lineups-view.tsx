import { useState, type FormEvent } from 'react';
import { Tabs } from '@/components/tabs';
import { useSearchParams } from 'react-router';
import { ConfirmButton } from '@/components/confirm-button';
import { CopyField } from '@/components/copy-field';
import { ErrorMessage, Loading, Notice } from '@/components/feedback';
import { fieldErrors } from '@/lib/api-client';
import { plural, timeAgo } from '@/lib/format';
import { useApplyRules, useDeleteLineup, useLineups, useMyLineups, useSaveLineup } from '@/features/lineups/api/lineups';
import { describeRule } from '@/features/lineups/lib/rules';
import { LineupUsers } from '@/features/lineups/components/lineup-users';
import { MembersList } from '@/features/lineups/components/members-list';
import { RulesEditor } from '@/features/lineups/components/rules-editor';
import type { LineupSummary } from '@/types/api';

type Editable = LineupSummary & { id: number };

/** Lineups: named channel sets with their own numbers, each with its own playlist, guide and tuner. */
export function LineupsView() {
  const lineups = useLineups();
  const [params, setParams] = useSearchParams();
  const openId = Number(params.get('lineup') ?? NaN);
  const open = lineups.data?.find((l): l is Editable => l.id != null && l.id === openId) ?? null;
  const select = (id: number | null) => setParams(id == null ? {} : { lineup: String(id) }, { replace: true });

  return (
    <div className="stack-lg">
      <div className="page-header">
        <h1>Lineups</h1>
      </div>
      <p className="muted">
        A lineup is a set of channels with its own numbers, for a TV in the kids' room or a media server that only needs the news. Each one has its own
        playlist, guide and HDHomeRun tuner; users can be given lineups so they see only those.
      </p>
      <ErrorMessage error={lineups.error} title="Lineups could not be loaded" />
      {lineups.isPending ? <Loading /> : null}
      <div className="card-grid">
        {lineups.data?.map((l) => (
          <div key={l.id ?? 'all'} className={`card stack${l.id === openId ? ' selected' : ''}`} data-testid="lineup-card">
            <div className="row-between">
              <strong>{l.name}</strong>
              <span className="small muted">{plural(l.channels, 'channel')}</span>
            </div>
            <div className="small muted">
              {l.builtin ? 'Every enabled channel; cannot be changed.' : l.rules.length ? l.rules.map(describeRule).join(' or ') : 'Channels added by hand'}
            </div>
            {l.id != null ? (
              <div>
                <button type="button" className="btn btn-small" onClick={() => select(l.id)} aria-label={`Open ${l.name}`}>
                  {l.id === openId ? 'Open' : 'Edit'}
                </button>
              </div>
            ) : null}
          </div>
        ))}
      </div>
      <CreateLineup onCreated={(id) => select(id)} />
      {open ? <LineupDetail key={open.id} lineup={open} onDeleted={() => select(null)} /> : null}
    </div>
  );
}

function CreateLineup({ onCreated }: { onCreated: (id: number) => void }) {
  const [name, setName] = useState('');
  const save = useSaveLineup();
  const server = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    save.mutate(
      { id: null, body: { name: name.trim() } },
      {
        onSuccess: (l) => {
          setName('');
          if (l.id != null) onCreated(l.id);
        },
      },
    );
  };
  return (
    <form className="card row gap wrap" onSubmit={submit} aria-label="New lineup">
      <div className="field grow">
        <label htmlFor="new-lineup">New lineup name</label>
        <input id="new-lineup" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Kids" maxLength={100} aria-invalid={!!server.name} />
        {server.name ? <div className="field-error">{server.name}</div> : null}
      </div>
      <button type="submit" className="btn btn-primary" disabled={save.isPending || !name.trim()}>
        Create lineup
      </button>
      <ErrorMessage error={Object.keys(server).length ? null : save.error} />
    </form>
  );
}

function LineupDetail({ lineup, onDeleted }: { lineup: Editable; onDeleted: () => void }) {
  const [tab, setTab] = useState<'channels' | 'rules' | 'users' | 'outputs' | 'settings'>('channels');
  const apply = useApplyRules(lineup.id);
  const remove = useDeleteLineup();
  return (
    <section className="card stack" aria-label={`Lineup ${lineup.name}`}>
      <div className="row-between wrap">
        <h2>{lineup.name}</h2>
        <div className="row gap">
          {lineup.rules.length ? (
            <button type="button" className="btn" disabled={apply.isPending} onClick={() => apply.mutate()}>
              Apply rules now
            </button>
          ) : null}
          <ConfirmButton question={`Delete ${lineup.name}? Its URLs stop working.`} confirmLabel="Delete" onConfirm={() => remove.mutate(lineup.id, { onSuccess: onDeleted })}>
            Delete lineup
          </ConfirmButton>
        </div>
      </div>
      <div className="small muted">
        {plural(lineup.channels, 'channel')} · rules applied {timeAgo(lineup.rules_applied_at)}
      </div>
      {apply.isSuccess ? <Notice kind="ok">Rules applied: {apply.data.added} added, {apply.data.removed} removed.</Notice> : null}
      <ErrorMessage error={apply.error ?? remove.error} />
      <Tabs
        label="Lineup sections"
        tabs={[
          ['channels', 'Channels'],
          ['rules', `Rules (${lineup.rules.length})`],
          ['users', 'Users'],
          ['outputs', 'URLs'],
          ['settings', 'Name and slug'],
        ]}
        value={tab}
        onChange={setTab}
      />
      {tab === 'channels' ? <MembersList lineupId={lineup.id} count={lineup.channels} /> : null}
      {tab === 'rules' ? <RulesEditor lineup={lineup} /> : null}
      {tab === 'users' ? <LineupUsers lineup={lineup} /> : null}
      {tab === 'outputs' ? <LineupUrls slug={lineup.slug} /> : null}
      {tab === 'settings' ? <LineupSettings lineup={lineup} /> : null}
    </section>
  );
}

function LineupUrls({ slug }: { slug: string }) {
  const mine = useMyLineups();
  const out = mine.data?.find((o) => o.slug === slug);
  if (mine.isPending) return <Loading />;
  if (!out) return <ErrorMessage error={mine.error ?? new Error('This lineup has no URLs yet: reload the page.')} />;
  return (
    <div className="stack">
      <p className="small muted">These URLs carry your API token: anyone with them can watch. Give users their own accounts instead of your URLs.</p>
      <CopyField label="M3U playlist" value={out.m3u} />
      <CopyField label="XMLTV guide" value={out.xmltv} />
      <CopyField label="HDHomeRun tuner (Plex, Jellyfin, Emby)" value={out.hdhomerun} hint="Add it as a tuner by URL; each lineup is a tuner of its own." />
      <p className="small muted">Xtream Codes players see a lineup when it is bound to the user's Xtream login (the Users tab).</p>
    </div>
  );
}

function LineupSettings({ lineup }: { lineup: Editable }) {
  const [name, setName] = useState(lineup.name);
  const [slug, setSlug] = useState(lineup.slug);
  const [position, setPosition] = useState(String(lineup.position));
  const save = useSaveLineup();
  const server = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ id: lineup.id, body: { name: name.trim(), slug: slug.trim(), position: Number(position) || 0 } });
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Name and slug">
      <div className="grid-2">
        <div className="field">
          <label htmlFor="lu-name">Name</label>
          <input id="lu-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required aria-invalid={!!server.name} />
          {server.name ? <div className="field-error">{server.name}</div> : null}
        </div>
        <div className="field">
          <label htmlFor="lu-slug">Slug (in URLs)</label>
          <input id="lu-slug" value={slug} onChange={(e) => setSlug(e.target.value)} maxLength={60} aria-invalid={!!server.slug} />
          <div className="help">Changing it changes this lineup's URLs: media servers using the old ones stop working.</div>
          {server.slug ? <div className="field-error">{server.slug}</div> : null}
        </div>
        <div className="field">
          <label htmlFor="lu-pos">Position in lists</label>
          <input id="lu-pos" type="number" step={1} value={position} onChange={(e) => setPosition(e.target.value)} />
        </div>
      </div>
      <ErrorMessage error={Object.keys(server).length ? null : save.error} />
      {save.isSuccess ? <Notice kind="ok">Saved.</Notice> : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
