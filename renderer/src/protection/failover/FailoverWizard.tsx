/** The Failover wizard of a protected item in its dialog; tells the item page which job it started, if any. */
import { useLifeboat } from '../../api/hooks';
import type { Job } from '../../api/types';
import { WizardDialog } from '../../wizard/WizardDialog';
import { failoverPath, failoverSteps } from './failoverSteps';
import { initialFailover } from './labels';

export function FailoverWizard({ item, onClose }: { item: string; onClose(job: Job | null): void }) {
  const { jobs } = useLifeboat();
  return (
    <WizardDialog
      id="failover-item"
      label={`Fail over ${item}`}
      steps={failoverSteps}
      path={failoverPath}
      initial={{ step: 'type', data: initialFailover(item) }}
      onClose={(data) => onClose(data.job ? (jobs.find((j) => j.id === data.job!.id) ?? data.job) : null)}
    />
  );
}
