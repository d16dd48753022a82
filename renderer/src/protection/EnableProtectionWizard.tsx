/** The Enable protection wizard in its dialog; tells the page which job it started and for which item, if any. */
import type { Job } from '../api/types';
import { useLifeboat } from '../api/hooks';
import { WizardDialog } from '../wizard/WizardDialog';
import { enablePath, enableSteps, initialEnable } from './enableSteps';

export function EnableProtectionWizard({ onClose }: { onClose(job: Job | null, name: string | null): void }) {
  const { jobs } = useLifeboat();
  return (
    <WizardDialog
      id="enable-protection"
      label="Enable protection"
      steps={enableSteps}
      path={enablePath}
      initial={{ step: 'source', data: initialEnable }}
      onClose={(data) => {
        const job = data.job ? (jobs.find((j) => j.id === data.job!.id) ?? data.job) : null;
        onClose(job, job ? data.name.trim() : null);
      }}
    />
  );
}
