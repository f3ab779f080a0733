import { SettingsView } from '@/features/settings/components/settings-form';

export default function SettingsRoute() {
  return (
    <div className="page">
      <SettingsView />
    </div>
  );
}
