/** The Fail over wizard in its dialog. A source held by a failed failover opens on that job, to resume or abandon it. */
import { WizardDialog } from '../wizard/WizardDialog';
import { failoverPath, failoverSteps } from './failoverSteps';
import type { Device } from './labels';

export function FailoverWizard({ source, onClose }: { source: Device; onClose(): void }) {
  const held = source.failoverJobId;
  return (
    <WizardDialog
      id="failover"
      label={`Fail over ${source.name}`}
      steps={failoverSteps}
      path={failoverPath}
      initial={{
        step: held ? 'progress' : 'source',
        data: { source, target: '', backupId: null, plan: null, checks: null, understood: false, jobId: held },
      }}
      onClose={() => onClose()}
    />
  );
}
