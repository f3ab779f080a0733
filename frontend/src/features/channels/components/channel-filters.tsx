import { useState } from 'react';
import { Combobox } from '@/components/combobox';
import { useCategoryOptions } from '@/features/channels/api/get-categories';
import type { ChannelFilters } from '@/features/channels/api/get-channels';
import { useProviderOptions } from '@/features/channels/api/get-provider-options';

const QUALITIES = ['UHD', 'FHD', 'HD', 'SD'];

type Props = {
  search: string;
  onSearch: (q: string) => void;
  filters: ChannelFilters;
  onChange: (patch: Partial<ChannelFilters>) => void;
  view: 'list' | 'grid';
  onView: (v: 'list' | 'grid') => void;
};

export function ChannelFiltersBar({ search, onSearch, filters, onChange, view, onView }: Props) {
  const categories = useCategoryOptions();
  // Provider names are fetched only when someone reaches for that filter (or it is already set).
  const [wantProviders, setWantProviders] = useState(!!filters.provider_id);
  const providers = useProviderOptions(wantProviders);
  const active = ['category', 'quality', 'provider_id', 'region', 'has_active', 'enabled'].filter(
    (k) => filters[k as keyof ChannelFilters],
  ).length;

  return (
    <div className="filters" role="search">
      <div className="field grow">
        <label htmlFor="channel-search">Search channels</label>
        <input
          id="channel-search"
          type="search"
          placeholder="Name, e.g. BBC One"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
          autoComplete="off"
        />
      </div>
      <div className="field">
        <label htmlFor="f-category">Category</label>
        {/* Hundreds of categories at 100,000 channels: typed to narrow, not scrolled through. */}
        <Combobox
          id="f-category"
          listLabel="Categories"
          options={categories.data}
          value={filters.category ?? ''}
          onChange={(category) => onChange({ category })}
          emptyLabel="All categories"
          placeholder="All categories"
          loading={categories.isPending}
        />
      </div>
      <div className="field">
        <label htmlFor="f-quality">Quality</label>
        <select id="f-quality" value={filters.quality ?? ''} onChange={(e) => onChange({ quality: e.target.value })}>
          <option value="">Any</option>
          {QUALITIES.map((q) => (
            <option key={q} value={q}>
              {q}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-provider">Provider</label>
        <select
          id="f-provider"
          value={filters.provider_id ?? ''}
          onFocus={() => setWantProviders(true)}
          onPointerDown={() => setWantProviders(true)}
          onChange={(e) => onChange({ provider_id: e.target.value })}
        >
          <option value="">All providers</option>
          {providers.data?.map((p) => (
            <option key={p.id} value={String(p.id)}>
              {p.name}
            </option>
          ))}
          {!providers.data && filters.provider_id ? <option value={filters.provider_id}>provider {filters.provider_id}</option> : null}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-health">Health</label>
        <select id="f-health" value={filters.has_active ?? ''} onChange={(e) => onChange({ has_active: e.target.value as ChannelFilters['has_active'] })}>
          <option value="">Any</option>
          <option value="true">Has an active stream</option>
          <option value="false">All streams inactive</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-enabled">Enabled</label>
        <select id="f-enabled" value={filters.enabled ?? ''} onChange={(e) => onChange({ enabled: e.target.value as ChannelFilters['enabled'] })}>
          <option value="">Any</option>
          <option value="true">Enabled</option>
          <option value="false">Disabled</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-region">Region</label>
        <input id="f-region" className="short" value={filters.region ?? ''} placeholder="e.g. East" onChange={(e) => onChange({ region: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="f-sort">Sort</label>
        <select id="f-sort" value={filters.sort ?? 'name'} onChange={(e) => onChange({ sort: e.target.value as ChannelFilters['sort'] })}>
          <option value="name">Name</option>
          <option value="number">Number</option>
          <option value="stream_count">Most streams</option>
        </select>
      </div>
      <fieldset className="segmented view-toggle">
        <legend>View</legend>
        {(['list', 'grid'] as const).map((v) => (
          <label key={v}>
            <input type="radio" name="view" value={v} checked={view === v} onChange={() => onView(v)} />
            {v === 'list' ? 'List' : 'Logos'}
          </label>
        ))}
      </fieldset>
      {active ? (
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => onChange({ category: '', quality: '', provider_id: '', region: '', has_active: '', enabled: '' })}
        >
          Clear {active} filter{active > 1 ? 's' : ''}
        </button>
      ) : null}
    </div>
  );
}
