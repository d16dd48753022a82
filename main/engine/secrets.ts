/**
 * Secrets at rest (SDEK, registration key, account keys, CHAP secrets): AES-256-GCM under a master key.
 * The master key is protected by the OS keychain when the host offers one (Electron safeStorage), else kept in a
 * key file readable only by the user (0600).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db/database';
import { LifeboatError } from '../shared/errors';

export interface KeyProtector {
  kind: 'os-keychain' | 'key-file';
  /** Returns the master key, creating it on first use. */
  masterKey(dataDir: string): Buffer;
}

export const KEY_FILE = 'secrets.key';

export const keyFileProtector: KeyProtector = {
  kind: 'key-file',
  masterKey(dataDir) {
    const file = path.join(dataDir, KEY_FILE);
    if (fs.existsSync(`${file}.os`))
      // A fresh key file would silently orphan every stored secret.
      throw new LifeboatError(
        'bad_key',
        "The secrets of this data directory are sealed with the operating system's keychain, which is not available here.",
        'Use the desktop app in your desktop session with the login keyring unlocked; while it runs, the CLI goes through it.',
      );
    try {
      const key = fs.readFileSync(file);
      if (key.length !== 32)
        throw new LifeboatError(
          'bad_key',
          `The key file ${file} is damaged.`,
          'Restore it from a backup of the data directory.',
        );
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = crypto.randomBytes(32);
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, key);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return key;
  },
};

/** Wraps an OS encryption facility (Electron safeStorage) as a protector of the master key. */
export function osKeychainProtector(osCrypto: {
  encrypt(plain: Buffer): Buffer;
  decrypt(cipher: Buffer): Buffer;
}): KeyProtector {
  return {
    kind: 'os-keychain',
    masterKey(dataDir) {
      const file = path.join(dataDir, `${KEY_FILE}.os`);
      if (fs.existsSync(file)) return osCrypto.decrypt(fs.readFileSync(file));
      // An installation that began with a key file keeps it: move it under the keychain.
      const plainFile = path.join(dataDir, KEY_FILE);
      const key = fs.existsSync(plainFile) ? fs.readFileSync(plainFile) : crypto.randomBytes(32);
      fs.writeFileSync(file, osCrypto.encrypt(key), { mode: 0o600 });
      if (fs.existsSync(plainFile)) fs.rmSync(plainFile);
      return key;
    },
  };
}

export class SecretStore {
  private key: Buffer | null = null;
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    readonly protector: KeyProtector,
  ) {}

  private master(): Buffer {
    if (!this.key) this.key = this.protector.masterKey(this.dataDir);
    return this.key;
  }

  set(name: string, value: string): void {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.master(), iv);
    cipher.setAAD(Buffer.from(name));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), body]);
    this.db
      .prepare(
        'INSERT INTO secrets(name, ciphertext, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at',
      )
      .run(name, blob, new Date().toISOString());
  }

  get(name: string): string | null {
    const row = this.db.prepare('SELECT ciphertext FROM secrets WHERE name = ?').get(name) as
      { ciphertext: Buffer } | undefined;
    if (!row) return null;
    const blob = row.ciphertext;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.master(), blob.subarray(0, 12));
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(blob.subarray(12, 28));
      return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new LifeboatError(
        'bad_key',
        `The secret "${name}" cannot be decrypted with this installation's master key.`,
        'The key file (or keychain entry) of this data directory was replaced or lost; restore it, or join the service again with the SDEK.',
        { cause: err },
      );
    }
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name);
  }
}
