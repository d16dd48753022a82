/**
 * The `config` object: a plain JSON envelope `{lifeboat, format, keyCheck, sealed}` around the sealed repository
 * configuration. Reading it tells apart an account without a repository, the wrong key and damage. The key check (a
 * MAC of a constant under the data key) and the sealed body are verified apart, and a one-byte change can only hit
 * one of them: a body that opens proves the key whatever the check says, and a body that fails under a key that
 * passes the check (or a check one or two digits off) is damage, never "wrong key".
 */
import crypto from 'node:crypto';
import { LifeboatError } from '../../shared/errors';
import type { ChunkerParams } from './chunker';
import { FORMAT_VERSION, seal, unseal, type RepoKeys } from './crypto';

export interface RepoConfig {
  format: number;
  id: string;
  created: string;
  chunker: ChunkerParams;
  imageBlockSize: number;
  packTarget: number;
}

interface ConfigEnvelope {
  lifeboat: 'repository';
  format: number;
  keyCheck: string;
  sealed: string;
}

export const keyCheckOf = (keys: RepoKeys) =>
  crypto.createHmac('sha256', keys.dataKey).update('lifeboat-key-check').digest('hex').slice(0, 32);

export function encodeConfig(keys: RepoKeys, config: RepoConfig): Buffer {
  const envelope: ConfigEnvelope = {
    lifeboat: 'repository',
    format: config.format,
    keyCheck: keyCheckOf(keys),
    sealed: seal(keys.dataKey, 'config', Buffer.from(JSON.stringify(config))).toString('base64'),
  };
  return Buffer.from(JSON.stringify(envelope));
}

const BAD_KEY = () =>
  new LifeboatError(
    'bad_key',
    'This key does not open this account.',
    'Enter the service data encryption key of the service that created these backups.',
  );

/** Hex digits that differ; a string of another length counts as all different. */
function digitsOff(a: string, b: string): number {
  if (a.length !== b.length) return Infinity;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/**
 * The configuration, and what is damaged around it when it still opens (`damage`: a key check or envelope field that
 * a byte change hit; `account check` reports it). Throws not_initialized, bad_key, not_allowed (newer format) or
 * damaged.
 */
export function decodeConfig(raw: Buffer, keys: RepoKeys, location: string): { config: RepoConfig; damage?: string } {
  const text = raw.toString('utf8');
  // A folder may hold another program's "config": only text naming our fields is taken for a damaged one of ours.
  const ours = ['"lifeboat"', '"keyCheck"', '"sealed"'].filter((f) => text.includes(f)).length >= 2;
  const notOurs = () =>
    new LifeboatError(
      'not_initialized',
      `The storage account at ${location} holds no Lifeboat repository.`,
      'Check the folder or container, or create the repository.',
    );
  const damage: string[] = [];
  let envelope: Partial<ConfigEnvelope>;
  try {
    envelope = JSON.parse(text) as Partial<ConfigEnvelope>;
  } catch {
    if (!ours) throw notOurs();
    envelope = salvage(text);
    damage.push('it is no longer valid JSON');
  }
  if (!envelope || typeof envelope !== 'object') throw notOurs();
  if (envelope.lifeboat !== 'repository' && !ours) throw notOurs();
  if (envelope.lifeboat !== 'repository') damage.push('its "lifeboat" field');

  const expected = keyCheckOf(keys);
  const keyOk = envelope.keyCheck === expected;
  let config: RepoConfig | undefined;
  try {
    config = JSON.parse(
      unseal(keys.dataKey, 'config', Buffer.from(String(envelope.sealed), 'base64')).toString('utf8'),
    ) as RepoConfig;
  } catch {
    config = undefined;
  }
  // A newer format is only believed when this version cannot read the body: a damaged digit is not "update Lifeboat".
  if (typeof envelope.format !== 'number' || envelope.format > FORMAT_VERSION) {
    if (!config && typeof envelope.format === 'number')
      throw new LifeboatError(
        'not_allowed',
        `This repository uses format ${envelope.format}, newer than this Lifeboat understands (${FORMAT_VERSION}).`,
        'Update Lifeboat.',
      );
    damage.push('its "format" field');
  }
  if (config) {
    if (typeof config.format === 'number' && config.format > FORMAT_VERSION)
      throw new LifeboatError(
        'not_allowed',
        `This repository uses format ${config.format}, newer than this Lifeboat understands (${FORMAT_VERSION}).`,
        'Update Lifeboat.',
      );
    if (!keyOk) damage.push('its key check');
    return {
      config,
      damage: damage.length
        ? `The configuration of the storage account at ${location} is damaged (${damage.join(', ')}); the key is right, as the sealed configuration opens with it.`
        : undefined,
    };
  }
  if (!keyOk && digitsOff(String(envelope.keyCheck), expected) > 2) throw BAD_KEY();
  throw new LifeboatError(
    'damaged',
    `The configuration of the storage account at ${location} is damaged: the key is right (it passes the key check${keyOk ? '' : ' but for a digit or two'}), but the sealed configuration does not open.`,
    'Copy the `config` object back from a copy of the storage account (it is written once, when the repository is created, and never changes); the backups in the account are not affected.',
  );
}

/** The envelope's fields from text that is no longer JSON (a quote or brace hit): each is found on its own. */
function salvage(text: string): Partial<ConfigEnvelope> {
  const field = (name: string) => new RegExp(`"${name}"\\s*:\\s*"([^"]*)"`).exec(text)?.[1];
  const format = /"format"\s*:\s*(\d+)/.exec(text)?.[1];
  return {
    lifeboat: field('lifeboat') as 'repository' | undefined,
    format: format === undefined ? undefined : Number(format),
    keyCheck: field('keyCheck'),
    sealed: field('sealed'),
  };
}
