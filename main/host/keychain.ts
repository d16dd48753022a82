/**
 * Protects the secrets' master key with the OS keychain through Electron safeStorage (Keychain on macOS, DPAPI on
 * Windows, libsecret/KWallet on Linux). Call after the app is ready: on Linux the backend is chosen at startup.
 */
import { safeStorage } from 'electron';
import { keyFileProtector, osKeychainProtector, type KeyProtector } from '../engine/secrets';

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

export function hostKeyProtector(): KeyProtector {
  if (keychainUsable()) {
    return osKeychainProtector({
      // safeStorage seals strings; the 32-byte key travels as base64.
      encrypt: (key) => safeStorage.encryptString(key.toString('base64')),
      decrypt: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
    });
  }
  // A key sealed in a keychain that is not reachable now is refused by keyFileProtector itself, with what to do.
  return keyFileProtector;
}
