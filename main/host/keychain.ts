/**
 * Protects the secrets' master key with the OS keychain through Electron safeStorage (Keychain on macOS, DPAPI on
 * Windows, libsecret/KWallet on Linux). Call after the app is ready: on Linux the backend is chosen at startup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import { LifeboatError } from '../engine/errors';
import { KEY_FILE, keyFileProtector, osKeychainProtector, type KeyProtector } from '../engine/secrets';

/** Where osKeychainProtector keeps the sealed master key (see main/engine/secrets.ts). */
const SEALED_KEY_FILE = `${KEY_FILE}.os`;

function keychainUsable(): boolean {
  if (!safeStorage.isEncryptionAvailable()) return false;
  // Linux without a keyring falls back to 'basic_text', a fixed key: no better than the 0600 key file, and it
  // would misreport the protection as the OS keychain.
  if (process.platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    return backend !== 'basic_text' && backend !== 'unknown';
  }
  return true;
}

export function hostKeyProtector(dataDir: string): KeyProtector {
  if (keychainUsable()) {
    return osKeychainProtector({
      // safeStorage seals strings; the 32-byte key travels as base64.
      encrypt: (key) => safeStorage.encryptString(key.toString('base64')),
      decrypt: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
    });
  }
  if (fs.existsSync(path.join(dataDir, SEALED_KEY_FILE))) {
    // The key is sealed in a keychain that is not reachable now (locked keyring, another desktop session). A fresh
    // key file would silently orphan every stored secret, so fail the secret operations with a clear error instead.
    return {
      kind: 'os-keychain',
      masterKey() {
        throw new LifeboatError(
          'bad_key',
          'The OS keychain that protects this installation’s master key is not available.',
          'Unlock the login keyring (or start Lifeboat in your desktop session), then restart Lifeboat.',
        );
      },
    };
  }
  return keyFileProtector;
}
