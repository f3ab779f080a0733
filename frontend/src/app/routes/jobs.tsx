import { JobList } from '@/features/jobs/components/job-list';

export default function JobsRoute() {
  return (
    <div className="page">
      <JobList />
    </div>
  );
}
