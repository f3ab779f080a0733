import { RulesView } from '@/features/rules/components/rules-view';

export default function RulesRoute() {
  return (
    <div className="page">
      <RulesView />
    </div>
  );
}
