/**
 * The Configure device wizard's first step: where the device keeps its shares or volumes. On this machine (a folder
 * here), or at a paired agent site (a folder on the agent's host, under its root's devices/ folder): every operation
 * on the device then goes through that site. The engine checks the folder there (devices.checkRoot with the site)
 * before the wizard goes on, so the free space it shows is the agent disk's.
 */
import { Field, Input, MessageBar, MessageBarBody, Radio, RadioGroup } from '@fluentui/react-components';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import { absolutePathProblem } from '../accounts/validation';
import { fieldState, type WizardStep } from '../wizard/machine';
import type { ConfigureData, ConfigureStepId } from './configureSteps';

type Step = WizardStep<ConfigureStepId, ConfigureData>;

/** The folder of device roots at an agent site whose root is `siteRoot` (a POSIX path on the agent host). */
export const siteDeviceArea = (siteRoot: string) => `${siteRoot.replace(/\/+$/, '')}/devices/`;

function RootBody({ data, update, problems }: Parameters<Step['Body']>[0]) {
  const sites = useQuery('sites.list', {});
  const agents = (sites.data ?? []).filter((s) => s.kind === 'agent' && s.root);
  const chosen = agents.find((s) => s.name === data.site);
  const choose = (site: string) => {
    const at = agents.find((s) => s.name === site);
    update({ site, root: at?.root ? siteDeviceArea(at.root) : '', rootCheck: null });
  };
  return (
    <>
      {/* Only with a paired agent site to choose; without one the folder is on this machine, as it always was. */}
      {(agents.length > 0 || data.site) && (
        <Field label="Where the data root is" data-field="site" {...fieldState(problems.site)}>
          <RadioGroup value={data.site} onChange={(_, v) => choose(v.value)} aria-label="Where the data root is">
            <Radio value="" label="This machine" />
            {agents.map((s) => (
              <Radio key={s.name} value={s.name} label={`The agent site ${s.name} (${s.agent ?? 'paired agent'})`} />
            ))}
          </RadioGroup>
        </Field>
      )}
      {chosen?.root && (
        <MessageBar intent="info" layout="multiline" data-testid="site-root-note">
          <MessageBarBody>
            The data root is a folder on the agent host of {chosen.name}, under {siteDeviceArea(chosen.root)}. Shares
            and volumes are made there. Backups fetch the shares from the site into a copy on this machine and back that
            up; volumes at a site are not backed up, and no failover goes to a device at a site.
          </MessageBarBody>
        </MessageBar>
      )}
      <Field
        label="Data root folder"
        required
        data-field="root"
        {...fieldState(problems.root)}
        hint={
          chosen
            ? `An absolute path on the agent host, under ${siteDeviceArea(chosen.root ?? '')}.`
            : 'An absolute path; its free space bounds the capacity.'
        }
      >
        <Input
          value={data.root}
          onChange={(_, v) => update({ root: v.value, rootCheck: null })}
          placeholder={chosen?.root ? `${siteDeviceArea(chosen.root)}fs01` : '/srv/lifeboat/fs01'}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
    </>
  );
}

export const rootStep: Step = {
  id: 'root',
  title: 'Data root',
  intro: () =>
    'A virtual array keeps its shares or volumes in a folder, its data root: on this machine, or on the host of a paired agent site. Choose an empty folder (it is created if it does not exist), or the data root of a previous Lifeboat device.',
  nextLabel: () => 'Next',
  validate: (d) => ({ root: absolutePathProblem(d.root) ?? undefined }),
  submit: async (d) => {
    // The engine says now what the folder would be (empty, a previous device's root, in use …) and its free space.
    const r = await call('devices.checkRoot', { root: d.root.trim(), ...(d.site ? { site: d.site } : {}) });
    if (!r.ok) {
      const mine =
        r.error.code === 'invalid_input' || r.error.code === 'conflict' || r.error.code === 'not_found' || !!d.site;
      return mine
        ? { ok: false, error: r.error, field: r.error.message.startsWith('site:') ? 'site' : 'root' }
        : { ok: true, go: 'name', patch: { rootCheck: null } };
    }
    if (!r.value.usable) {
      const hint =
        r.value.state === 'not-writable'
          ? 'Mount that disk read-write, or choose a data root Lifeboat can write to.'
          : r.value.state === 'outside-site'
            ? `Choose a folder under the devices/ folder of the site ${d.site}.`
            : 'Choose an empty folder, a new one, or the data root of a previous Lifeboat device.';
      return { ok: false, error: { code: 'invalid_input', message: r.value.message, hint }, field: 'root' };
    }
    const patch: Partial<ConfigureData> = { rootCheck: r.value };
    // A previous device's root comes back under its own name unless the user typed another.
    if (r.value.previousDevice && !d.name) patch.name = r.value.previousDevice;
    return { ok: true, go: 'name', patch };
  },
  Body: RootBody,
};
