/** The Configure device wizard in its dialog; tells the page which device was configured, if any. */
import { WizardDialog } from '../wizard/WizardDialog';
import { configurePath, configureSteps, initialConfigure } from './configureSteps';
import type { Device } from './labels';

export function ConfigureDeviceWizard({ onClose }: { onClose(device: Device | null): void }) {
  return (
    <WizardDialog
      id="configure-device"
      label="Configure device"
      steps={configureSteps}
      path={configurePath}
      initial={{ step: 'root', data: initialConfigure }}
      onClose={(data) => onClose(data.device)}
    />
  );
}
