/**
 * Toasts for what happens in the background: a top-level job that succeeds, fails or is cancelled, and new critical
 * alerts. A failed job also raises a critical alert; that pair shows one toast, whichever event arrives first.
 * A toast waits while an open dialog reaches the toasts' corner (a narrow window), so it never covers the dialog's
 * buttons; it shows when the dialog closes. A dialog that opens over toasts already shown dismisses them: what they
 * said stays on the Jobs and Alerts pages.
 */
import { Link, Toast, ToastBody, ToastFooter, ToastTitle, useToastController } from '@fluentui/react-components';
import { useEffect } from 'react';
import { useStore } from '../api/hooks';
import type { Alert, Job } from '../api/types';
import { placesForCommands } from '../ui/screen-errors';
import { navigate, type RouteId } from './routes';

/** Engine text as a toast says it: the app's button or page instead of a CLI command. */
const onScreen = (text: string | null | undefined) => (text ? placesForCommands(text) : null);

export const TOASTER_ID = 'lifeboat-toaster';
/** Fluent's toast width and the toaster's offset from the window's edge, and a little air. */
const TOAST_CORNER = 292 + 16 + 8;

/** Whether an open dialog's surface reaches into the bottom-right corner where toasts appear. */
function dialogInToastCorner(): boolean {
  const surfaces = document.querySelectorAll(
    '[role="dialog"][aria-modal="true"], [role="alertdialog"][aria-modal="true"]',
  );
  return Array.from(surfaces).some((s) => s.getBoundingClientRect().right > window.innerWidth - TOAST_CORNER);
}

export function Notifier() {
  const store = useStore();
  const { dispatchToast, dismissAllToasts } = useToastController(TOASTER_ID);

  // Toasts on screen when a dialog opens into their corner would cover its buttons: one check a frame that changed.
  useEffect(() => {
    let frame = 0;
    const check = () => {
      frame = 0;
      if (dialogInToastCorner() && document.querySelector('.fui-Toast')) dismissAllToasts();
    };
    const opened = new MutationObserver(() => {
      if (!frame) frame = requestAnimationFrame(check);
    });
    opened.observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['aria-modal'],
    });
    return () => {
      opened.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [dismissAllToasts]);

  useEffect(() => {
    const toastedFailures = new Set<string>();
    const waiting: Array<() => void> = [];
    // Watches the page only while toasts wait for a dialog to close.
    const watcher = new MutationObserver(() => flush());
    const flush = () => {
      if (dialogInToastCorner()) return;
      watcher.disconnect();
      window.removeEventListener('resize', flush);
      waiting.splice(0).forEach((toast) => toast());
    };
    const later = (toast: () => void) => {
      if (!dialogInToastCorner()) return toast();
      if (waiting.push(toast) > 1) return;
      watcher.observe(document.body, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ['aria-modal'],
      });
      window.addEventListener('resize', flush);
    };
    const show = (
      intent: 'success' | 'error' | 'info',
      title: string,
      body: string | null,
      hint: string | null,
      page: RouteId,
    ) =>
      later(() =>
        dispatchToast(
          <Toast>
            <ToastTitle>{title}</ToastTitle>
            {(body || hint) && <ToastBody subtitle={hint ?? undefined}>{body}</ToastBody>}
            <ToastFooter>
              <Link onClick={() => navigate(page)}>Open {page === 'jobs' ? 'Jobs' : 'Alerts'}</Link>
            </ToastFooter>
          </Toast>,
          { intent, timeout: intent === 'error' ? 15_000 : 6_000 },
        ),
      );

    const onJob = (job: Job) => {
      if (job.parentId) return;
      if (job.status === 'succeeded') show('success', `${job.title} succeeded`, job.message, null, 'jobs');
      else if (job.status === 'cancelled') show('info', `${job.title} was cancelled`, null, null, 'jobs');
      else if (job.status === 'failed' && !toastedFailures.has(job.id)) {
        toastedFailures.add(job.id);
        show('error', `${job.title} failed`, onScreen(job.error?.message), onScreen(job.error?.hint), 'jobs');
      }
    };
    const onAlert = (alert: Alert) => {
      if (alert.severity !== 'critical') return;
      if (alert.jobId) {
        if (toastedFailures.has(alert.jobId)) return;
        toastedFailures.add(alert.jobId);
      }
      show('error', alert.title, onScreen(alert.message), onScreen(alert.hint), 'alerts');
    };
    const offJob = store.onJobSettled(onJob);
    const offAlert = store.onAlertRaised(onAlert);
    return () => {
      offJob();
      offAlert();
      watcher.disconnect();
      window.removeEventListener('resize', flush);
    };
  }, [store, dispatchToast]);

  return null;
}
