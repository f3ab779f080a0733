import { LineupsView } from '@/features/lineups/components/lineups-view';

export default function LineupsRoute() {
  return (
    <div className="page">
      <LineupsView />
    </div>
  );
}
