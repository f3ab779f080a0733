import { ProviderList } from '@/features/providers/components/provider-list';

export default function ProvidersRoute() {
  return (
    <div className="page">
      <ProviderList />
    </div>
  );
}
