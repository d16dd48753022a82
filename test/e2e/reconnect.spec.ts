/** Web mode: when the engine goes away, the app says it is reconnecting instead of failing silently. */
import { ensureService, expect, openPage, test } from './fixtures';

test('losing the engine shows the reconnecting banner, and calls fail with a clear message', async ({
  app: page,
  lifeboat,
  browserErrors,
}) => {
  await ensureService(page);
  await openPage(page, 'Dashboard');
  await expect(page.getByText('Reconnecting to Lifeboat…')).toHaveCount(0);
  await lifeboat.stop();
  await expect(page.getByText('Reconnecting to Lifeboat…')).toBeVisible();
  await expect(page.getByText(/If Lifeboat was restarted, open the address it printed/).first()).toBeVisible();
  await page.getByRole('button', { name: 'Run self-test job' }).click();
  await expect(page.getByText('Lifeboat is not reachable: the call was not sent.')).toBeVisible({ timeout: 30_000 });
  // The browser itself reports each failed WebSocket attempt; those are expected here and nothing else.
  const unexpected = browserErrors.filter(
    (e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api' failed/.test(e),
  );
  browserErrors.length = 0;
  expect(unexpected).toEqual([]);
});
