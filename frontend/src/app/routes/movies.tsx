import { VodView } from '@/features/vod/components/vod-view';

export default function MoviesRoute() {
  return (
    <div className="page page-fill">
      <VodView kind="movie" />
    </div>
  );
}
