import { GuideView } from '@/features/guide/components/guide-view';

export default function GuideRoute() {
  return (
    <div className="page page-fill">
      <GuideView />
    </div>
  );
}
