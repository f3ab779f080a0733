import { DashboardView } from '@/features/dashboard/components/dashboard-view';

export default function DashboardRoute() {
  return (
    <div className="page">
      <DashboardView />
    </div>
  );
}
