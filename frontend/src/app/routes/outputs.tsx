import { useMe } from '@/features/auth/api/get-me';
import { OutputsView } from '@/features/outputs/components/outputs-view';

export default function OutputsRoute() {
  const me = useMe();
  return (
    <div className="page">
      <OutputsView isAdmin={me.data?.role === 'admin'} />
    </div>
  );
}
