/**
 * An Azure Blob storage account added through the wizard against a real Azurite started by this file: a wrong
 * account key comes back on the credentials step, a missing container on the container step with the offer to create
 * it, and then the probe runs and the account is listed with the container URL and no secret.
 */
import type { Locator } from '@playwright/test';
import { AZURITE_KEY, connectionStringFor, startAzurite, type Azurite } from '../helpers/azurite';
import { ensureService, expect, openPage, screenshot, test } from './fixtures';

let azurite: Azurite;

test.beforeAll(async () => {
  azurite = await startAzurite();
});

test.afterAll(async () => {
  await azurite?.dispose();
});

async function expectStep(w: Locator, step: string, heading: string): Promise<void> {
  await expect(w).toHaveAttribute('data-step', step);
  await expect(w.getByRole('heading', { name: heading })).toBeVisible();
}

test('an Azure Blob account is added through the wizard after a wrong key and a missing container', async ({
  app: page,
}) => {
  await ensureService(page);
  await openPage(page, 'Storage accounts');
  await page.getByRole('button', { name: 'Add storage account' }).click();
  const w = page.getByTestId('add-account-wizard');

  await expectStep(w, 'kind', 'Where should backups be kept?');
  await w.getByRole('radio', { name: 'Azure Blob storage container' }).check();
  await screenshot(page, 'azure-wizard-1-kind');
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'credentials', 'Credentials');
  await expect(w.getByRole('radio', { name: 'Connection string' })).toBeChecked();
  // A well-formed key that is not the account's: Azurite checks the signature and refuses it.
  const wrongKey = Buffer.alloc(64, 7).toString('base64');
  await w.getByRole('textbox', { name: 'Connection string' }).fill(connectionStringFor(azurite.endpoint, wrongKey));
  await w.getByRole('button', { name: 'Next' }).click();

  await expectStep(w, 'container', 'Container and name');
  await w.getByRole('textbox', { name: 'Container' }).fill('e2e-backups');
  await w.getByLabel('Storage account name').fill('azure1');
  await screenshot(page, 'azure-wizard-2-container');
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'probe', 'Validate and add');
  await w.getByRole('button', { name: 'Validate and add' }).click();

  // The refusal names the account and lands on the field to fix; the secret is not echoed.
  await expectStep(w, 'credentials', 'Credentials');
  const refusal = w.getByRole('alert').filter({ hasText: 'was refused by devstoreaccount1' });
  await expect(refusal).toBeVisible();
  await expect(refusal).not.toContainText(wrongKey);
  await expect(w.getByRole('textbox', { name: 'Connection string' })).toHaveAttribute('aria-invalid', 'true');
  await screenshot(page, 'azure-wizard-3-wrong-key');

  await w.getByRole('textbox', { name: 'Connection string' }).fill(connectionStringFor(azurite.endpoint, AZURITE_KEY));
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'container', 'Container and name');
  await w.getByRole('button', { name: 'Next' }).click();
  await w.getByRole('button', { name: 'Validate and add' }).click();

  // The container does not exist yet: back on the container step, offered to create it.
  await expectStep(w, 'container', 'Container and name');
  await expect(w.getByRole('alert').filter({ hasText: 'The container "e2e-backups" does not exist' })).toBeVisible();
  await expect(
    w.getByText('Create it if it does not exist" to create the container "e2e-backups"', { exact: false }),
  ).toBeVisible();
  await screenshot(page, 'azure-wizard-4-no-container');
  await w.getByRole('checkbox', { name: 'Create it if it does not exist' }).check();
  await w.getByRole('button', { name: 'Next' }).click();
  await expectStep(w, 'probe', 'Validate and add');
  await w.getByRole('button', { name: 'Validate and add' }).click();

  await expectStep(w, 'done', 'Storage account added');
  await expect(page.getByTestId('probe-result')).toContainText(/Latency\s*[\d.]+ ms/);
  await expect(page.getByTestId('probe-result')).toContainText(/Read throughput\s*[\d.]+ \w+\/s/);
  await expect(w.getByText('A new, empty repository was created in the account.')).toBeVisible();
  await screenshot(page, 'azure-wizard-5-done');
  await w.getByRole('button', { name: 'Finish' }).click();
  await expect(w).toBeHidden();

  const row = page.locator('tr[data-account="azure1"]');
  await expect(row).toContainText(`${azurite.endpoint}/e2e-backups`);
  await expect(row).not.toContainText(AZURITE_KEY);
  await screenshot(page, 'azure-accounts-list');
});
