import { UsersView } from '@/features/users/components/users-view';

export default function UsersRoute() {
  return (
    <div className="page">
      <UsersView />
    </div>
  );
}
