import { OutputsView } from '@/features/outputs/components/outputs-view';

export default function OutputsRoute() {
  return (
    <div className="page">
      <OutputsView />
    </div>
  );
}
