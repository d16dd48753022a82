/** The service: one Lifeboat installation's DR service, its registration key and its data encryption key. */
import crypto from 'node:crypto';
import type { Service } from '../shared/schemas';
import type { Db } from './db/database';
import { LifeboatError } from '../shared/errors';
import { generateRegistrationKey, generateSdek, newId, parseSdek, sdekFingerprint } from './keys';
import type { SecretStore } from './secrets';

interface ServiceRow {
  id: string;
  name: string;
  created_at: string;
  joined: number;
  sdek_fingerprint: string;
  sdek_confirmed_at: string | null;
}

const toService = (r: ServiceRow): Service => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  joined: r.joined === 1,
  sdekFingerprint: r.sdek_fingerprint,
  sdekConfirmed: r.sdek_confirmed_at !== null,
});

export class ServiceManager {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretStore,
  ) {}

  get(): Service | null {
    const row = this.db.prepare('SELECT * FROM service LIMIT 1').get() as ServiceRow | undefined;
    return row ? toService(row) : null;
  }

  require(): Service {
    const s = this.get();
    if (!s)
      throw new LifeboatError(
        'not_initialized',
        'No service is set up yet.',
        'Create one with `lifeboat service init --name NAME` or the welcome wizard.',
      );
    return s;
  }

  private refuseSecond(): void {
    const s = this.get();
    if (s)
      throw new LifeboatError(
        'already_initialized',
        `This installation already belongs to the service "${s.name}".`,
        'Use another data directory (--home DIR) for another service.',
      );
  }

  init(name: string): { service: Service; registrationKey: string; sdek: string } {
    this.refuseSecond();
    const sdek = generateSdek();
    return this.db.transaction(() => {
      const service = this.insert(name, sdek.key, false);
      const registrationKey = generateRegistrationKey(service.id);
      this.secrets.set('service.sdek', sdek.text);
      this.secrets.set('service.registration-key', registrationKey);
      return { service, registrationKey, sdek: sdek.text };
    })();
  }

  join(sdekText: string, name?: string): Service {
    this.refuseSecond();
    const sdek = parseSdek(sdekText);
    return this.db.transaction(() => {
      const service = this.insert(name ?? 'Recovered service', sdek.key, true);
      this.secrets.set('service.sdek', sdek.text);
      this.secrets.set('service.registration-key', generateRegistrationKey(service.id));
      return service;
    })();
  }

  private insert(name: string, key: Buffer, joined: boolean): Service {
    const now = new Date().toISOString();
    const row: ServiceRow = {
      id: newId('svc'),
      name,
      created_at: now,
      joined: joined ? 1 : 0,
      sdek_fingerprint: sdekFingerprint(key),
      sdek_confirmed_at: joined ? now : null,
    };
    this.db
      .prepare('INSERT INTO service VALUES (@id, @name, @created_at, @joined, @sdek_fingerprint, @sdek_confirmed_at)')
      .run(row);
    return toService(row);
  }

  confirmSdek(last4: string): Service {
    const service = this.require();
    const sdek = this.sdekText();
    const expected = sdek.replace(/-/g, '').slice(-4);
    const given = last4.replace(/[\s-]/g, '').toUpperCase();
    const same = given.length === 4 && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!same)
      throw new LifeboatError(
        'bad_key',
        'Those are not the last 4 characters of the service data encryption key.',
        'Look at the key you saved and type its last 4 characters (hyphens do not count).',
      );
    this.db
      .prepare('UPDATE service SET sdek_confirmed_at = ? WHERE id = ? AND sdek_confirmed_at IS NULL')
      .run(new Date().toISOString(), service.id);
    return this.require();
  }

  registrationKey(): string {
    this.require();
    return this.secrets.get('service.registration-key')!;
  }

  sdekText(): string {
    this.require();
    return this.secrets.get('service.sdek')!;
  }

  /** The raw 32-byte SDEK, for deriving repository keys. */
  sdekKey(): Buffer {
    return parseSdek(this.sdekText()).key;
  }
}
