import { ViewingView } from '@/features/viewing/components/viewing-view';

export default function ViewingRoute() {
  return (
    <div className="page">
      <ViewingView />
    </div>
  );
}
