/** The Add storage account wizard in its dialog; tells the page which account was added, if any. */
import type { StorageAccount } from '../api/types';
import { WizardDialog } from '../wizard/WizardDialog';
import { accountPath, accountSteps, initialAccountData } from './addAccountSteps';

export function AddAccountWizard({ onClose }: { onClose(added: StorageAccount | null): void }) {
  return (
    <WizardDialog
      id="add-account"
      label="Add storage account"
      steps={accountSteps}
      path={accountPath}
      initial={{ step: 'kind', data: initialAccountData }}
      onClose={(data) => onClose(data.result?.account ?? null)}
    />
  );
}
