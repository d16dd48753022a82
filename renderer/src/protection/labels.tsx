/**
 * How protected items, sites and policies read in the UI: the contract's types, health and phase badges, durations
 * as the CLI writes them ("5 min"), and where an item's page lives (`#/protected-items/NAME`).
 */
import { Badge } from '@fluentui/react-components';
import type { z } from 'zod';
import type {
  CommandRun,
  CycleEntry,
  ItemDetail,
  ItemSummary,
  Policy,
  RecoveryPoint,
  Site,
  SiteProbe,
} from '../../../main/shared/contract-protection';

export type Item = z.infer<typeof ItemSummary>;
export type ItemInfo = z.infer<typeof ItemDetail>;
export type Point = z.infer<typeof RecoveryPoint>;
export type Cycle = z.infer<typeof CycleEntry>;
export type CommandRunInfo = z.infer<typeof CommandRun>;
export type SiteInfo = z.infer<typeof Site>;
export type SiteProbeInfo = z.infer<typeof SiteProbe>;
export type PolicyInfo = z.infer<typeof Policy>;
export type Health = Item['health'];

export const HEALTH_LABEL: Record<Health, string> = { normal: 'Normal', warning: 'Warning', critical: 'Critical' };
const HEALTH_COLOR: Record<Health, 'success' | 'warning' | 'danger'> = {
  normal: 'success',
  warning: 'warning',
  critical: 'danger',
};

/** The health, and when given, why it is not Normal. An unknown health (a later engine) reads as itself. */
export function ItemHealthBadge({ health, reasons }: { health: string; reasons?: string[] }) {
  const known = health in HEALTH_LABEL ? (health as Health) : null;
  return (
    <span data-health={health}>
      <Badge appearance="outline" color={known ? HEALTH_COLOR[known] : 'informative'}>
        {known ? HEALTH_LABEL[known] : health}
      </Badge>
      {reasons?.length ? <span data-testid="health-reasons">{` ${reasons.join('; ')}`}</span> : null}
    </span>
  );
}

const PHASE_LABEL: Record<string, string> = {
  enabling: 'Enabling protection',
  protected: 'Protected',
  'resync-required': 'Resynchronization required',
  resyncing: 'Resynchronizing',
  paused: 'Paused',
  disabling: 'Disabling',
  failed: 'Failed',
  'failing-over': 'Failing over',
  'failed-over': 'Failed over (not committed)',
  committed: 'Committed (not replicating)',
  reprotecting: 'Reprotecting',
};

/** Protected while running at the recovery site: replicating back to the primary (after a failover and reprotect). */
export const isReversed = (item: Pick<Item, 'activeSite' | 'recoverySite'>) => item.activeSite === item.recoverySite;

/** "protected" → "Protected"; a phase this UI does not know yet is shown in words made from its name. */
export function phaseLabel(phase: string, reversed = false): string {
  const label = PHASE_LABEL[phase] ?? phase.charAt(0).toUpperCase() + phase.slice(1).replace(/[-_]/g, ' ');
  return reversed && phase === 'protected' ? 'Protected in reverse' : label;
}

const PHASE_COLOR: Record<string, 'brand' | 'warning' | 'danger' | 'informative' | 'important'> = {
  protected: 'brand',
  'resync-required': 'warning',
  resyncing: 'warning',
  failed: 'warning',
  'failing-over': 'important',
  'failed-over': 'warning',
};

/** The phase, "in reverse" when the item runs at its recovery site, and the Paused and Test failover marks. */
export function PhaseBadge({
  phase,
  paused,
  reversed,
  testing,
}: {
  phase: string;
  paused?: boolean;
  reversed?: boolean;
  testing?: boolean;
}) {
  return (
    <span data-phase={phase} data-reversed={reversed ? 'true' : undefined}>
      <Badge appearance="tint" color={PHASE_COLOR[phase] ?? 'informative'}>
        {phaseLabel(phase, reversed)}
      </Badge>
      {testing && (
        <Badge appearance="tint" color="important" style={{ marginLeft: 4 }} data-testid="testing-badge">
          Test failover up
        </Badge>
      )}
      {paused && (
        <Badge appearance="tint" color="subtle" style={{ marginLeft: 4 }} data-testid="paused-badge">
          Paused
        </Badge>
      )}
    </span>
  );
}

/** 300 → "5 min", 86400 → "24 h", 0 → "none": the words the CLI uses. */
export function describeSeconds(s: number): string {
  if (s === 0) return 'none';
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** An age in seconds as a short duration: "42 s", "3 min 5 s", "2 h 10 min". */
export function formatAge(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h < 48 ? `${h} h${m ? ` ${m} min` : ''}` : `${Math.floor(h / 24)} days`;
}

/** The RPO now: the age of the newest point, counted on from the engine's figure between reloads. */
export function liveRpo(item: Pick<Item, 'lastPointAt' | 'rpoSeconds'>, now: number): number | null {
  if (item.lastPointAt) return Math.max(0, (now - Date.parse(item.lastPointAt)) / 1000);
  return item.rpoSeconds;
}

export const POINT_KIND_LABEL: Record<string, string> = { crash: 'Crash-consistent', app: 'App-consistent' };
export const pointKindLabel = (kind: string) => POINT_KIND_LABEL[kind] ?? kind;

/** Where an item's page lives, so reloads and Back keep it. */
export const itemHref = (name: string) => `#/protected-items/${encodeURIComponent(name)}`;
export const PROTECTION_TABS = ['items', 'replication', 'policies', 'sites'] as const;
export type ProtectionTab = (typeof PROTECTION_TABS)[number];

/** `#/protected-items/NAME` → the item; `#/protected-items?tab=sites` → the tab. */
export function protectionView(hash: string): { item: string | null; tab: ProtectionTab } {
  const m = /^#\/?protected-items\/([^/?]+)/.exec(hash);
  const tab = /[?&]tab=([a-z]+)/.exec(hash)?.[1] as ProtectionTab | undefined;
  return { item: m ? decodeURIComponent(m[1]) : null, tab: tab && PROTECTION_TABS.includes(tab) ? tab : 'items' };
}

export const tabHref = (tab: ProtectionTab) => (tab === 'items' ? '#/protected-items' : `#/protected-items?tab=${tab}`);
