/**
 * The recovery-point choice of a failover or a change of point: each named option with its point's time and kind,
 * what it would lose and the RTO estimate (an option that cannot be used says why), or a custom point picked on the
 * item's points timeline. The value is an option name, a point id, or "custom" until a point is picked. In a failback
 * an option whose point is older than the newest (app-consistent ones usually are) says so beside what it loses.
 */
import { Badge, Radio, RadioGroup, Text, makeStyles, tokens } from '@fluentui/react-components';
import { formatTime } from '../../format';
import { formatAge, pointKindLabel, type Point } from '../labels';
import { PointsTimeline } from '../PointsTimeline';
import { OPTION_TEXT, describeLoss, type FailoverOptionInfo } from './labels';

const useStyles = makeStyles({
  option: { display: 'flex', flexDirection: 'column', gap: '2px', paddingBottom: tokens.spacingVerticalS },
  facts: { display: 'flex', gap: tokens.spacingHorizontalM, flexWrap: 'wrap', color: tokens.colorNeutralForeground2 },
  muted: { color: tokens.colorNeutralForeground3 },
});

export const CUSTOM = 'custom';
const isNamed = (value: string, options: FailoverOptionInfo[]) => options.some((o) => o.option === value);

/** The value as the contract takes it, or null while "custom" has no point yet. */
export const chosenPoint = (value: string) => (value === CUSTOM ? null : value);

/** What a choice means in the review: the option's words, or the custom point's time. */
export function describeChoice(value: string, options: FailoverOptionInfo[], points: Point[]): string {
  const named = options.find((o) => o.option === value);
  if (named)
    return `${OPTION_TEXT[named.option]?.label ?? named.option}${named.point ? ` (${formatTime(named.point.createdAt)})` : ''}`;
  const p = points.find((x) => x.id === value);
  return p ? `Custom: point ${p.seq}, ${pointKindLabel(p.kind)}, ${formatTime(p.createdAt)}` : 'Custom point';
}

export interface PointChoiceProps {
  options: FailoverOptionInfo[];
  points: Point[];
  value: string;
  onChange(value: string): void;
  now: number;
  /** A planned or unplanned failback: an option older than the newest point says so. */
  failback?: boolean;
}

export function PointChoice({ options, points, value, onChange, now, failback = false }: PointChoiceProps) {
  const styles = useStyles();
  const custom = !isNamed(value, options);
  const picked = custom && value !== CUSTOM ? points.find((p) => p.id === value) : undefined;
  const newest = points.at(-1)?.id;
  return (
    <div data-testid="point-choice" data-value={value}>
      <RadioGroup value={custom ? CUSTOM : value} onChange={(_, d) => onChange(d.value)} aria-label="Recovery point">
        {options.map((o) => (
          <Radio
            key={o.option}
            value={o.option}
            disabled={!o.available}
            label={
              <span className={styles.option} data-testid={`option-${o.option}`}>
                <Text weight="semibold">{OPTION_TEXT[o.option]?.label ?? o.option}</Text>
                <Text size={200}>{OPTION_TEXT[o.option]?.about}</Text>
                {o.available ? (
                  <span className={styles.facts}>
                    <Text size={200}>
                      {o.point
                        ? `${pointKindLabel(o.point.kind)} point of ${formatTime(o.point.createdAt)}`
                        : 'a new point'}
                      {o.processesPending ? ', after a final cycle' : ''}
                    </Text>
                    <Text size={200}>{`Loses ${describeLoss(o)}`}</Text>
                    {failback && o.point && newest && o.point.id !== newest && (
                      <Text size={200} weight="semibold">
                        older than the newest point
                      </Text>
                    )}
                    <Text size={200}>{`RTO about ${formatAge(o.rtoSeconds)}`}</Text>
                    {o.group && (
                      <Badge appearance="tint" size="small">
                        {`group ${o.group}`}
                      </Badge>
                    )}
                  </span>
                ) : (
                  <Text size={200} className={styles.muted}>
                    {o.reason ?? 'Not available now.'}
                  </Text>
                )}
              </span>
            }
          />
        ))}
        <Radio
          value={CUSTOM}
          disabled={points.length === 0}
          label={
            <span className={styles.option}>
              <Text weight="semibold">Custom point</Text>
              <Text size={200}>Pick any recovery point of the item on its timeline.</Text>
            </span>
          }
        />
      </RadioGroup>
      {custom && (
        <div data-testid="custom-point">
          <PointsTimeline points={points} pick={{ selected: picked?.id ?? null, onSelect: onChange }} />
          <Text size={200} data-testid="custom-point-loss">
            {picked
              ? `Point ${picked.seq} loses the last ${formatAge((now - Date.parse(picked.createdAt)) / 1000)} of writes, and anything sent after it.`
              : 'Pick a point: a tick on the line or a row below.'}
          </Text>
        </div>
      )}
    </div>
  );
}
