import { ChannelsView } from '@/features/channels/components/channels-view';

export default function ChannelsRoute() {
  return (
    <div className="page page-fill">
      <ChannelsView />
    </div>
  );
}
