import { VodView } from '@/features/vod/components/vod-view';

export default function SeriesRoute() {
  return (
    <div className="page page-fill">
      <VodView kind="series" />
    </div>
  );
}
