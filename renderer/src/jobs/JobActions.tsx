/** Cancel, Pause and Resume, offered only when the engine says the job allows them. */
import { Button, Tooltip } from '@fluentui/react-components';
import { DismissRegular, PauseRegular, PlayRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../api/client';
import type { ErrorInfo, Job } from '../api/types';

export function JobActions({ job, onError }: { job: Job; onError(error: ErrorInfo): void }) {
  const [busy, setBusy] = useState(false);
  const act = async (name: 'jobs.cancel' | 'jobs.pause' | 'jobs.resume') => {
    setBusy(true);
    const r = await call(name, { id: job.id });
    setBusy(false);
    if (!r.ok) onError(r.error);
  };
  const canResume = job.resumable && (job.status === 'paused' || job.status === 'failed');
  return (
    <div style={{ display: 'flex', gap: 4 }}>
      {job.status === 'running' && (
        <Tooltip content="Pause at the next checkpoint" relationship="description">
          <Button
            size="small"
            icon={<PauseRegular />}
            disabled={busy}
            onClick={() => act('jobs.pause')}
            aria-label={`Pause ${job.title}`}
          >
            Pause
          </Button>
        </Tooltip>
      )}
      {canResume && (
        <Tooltip content="Resume from the last committed step" relationship="description">
          <Button
            size="small"
            icon={<PlayRegular />}
            disabled={busy}
            onClick={() => act('jobs.resume')}
            aria-label={`Resume ${job.title}`}
          >
            Resume
          </Button>
        </Tooltip>
      )}
      {job.cancellable && (
        <Button
          size="small"
          icon={<DismissRegular />}
          disabled={busy}
          onClick={() => act('jobs.cancel')}
          aria-label={`Cancel ${job.title}`}
        >
          Cancel
        </Button>
      )}
    </div>
  );
}
