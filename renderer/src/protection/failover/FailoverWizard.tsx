/**
 * The Failover wizard of a protected item in its dialog, worded as a failback when the item runs at its recovery site;
 * tells the item page which job it started, if any.
 */
import { useLifeboat } from '../../api/hooks';
import type { Job } from '../../api/types';
import { WizardDialog } from '../../wizard/WizardDialog';
import { failoverPath, failoverSteps } from './failoverSteps';
import { initialFailover } from './labels';

/** backTo: the primary site's name when the item runs at its recovery site (a failback), else null. */
export function FailoverWizard({
  item,
  backTo,
  onClose,
}: {
  item: string;
  backTo: string | null;
  onClose(job: Job | null): void;
}) {
  const { jobs } = useLifeboat();
  return (
    <WizardDialog
      id="failover-item"
      label={backTo ? `Fail ${item} back to ${backTo}` : `Fail over ${item}`}
      steps={failoverSteps}
      path={failoverPath}
      initial={{ step: 'type', data: initialFailover(item, backTo !== null) }}
      onClose={(data) => onClose(data.job ? (jobs.find((j) => j.id === data.job!.id) ?? data.job) : null)}
    />
  );
}
