/**
 * Certificates of the site agent channel: the agent's self-signed server certificate (pinned by the installation at
 * pairing) and the installation's client certificate (pinned by the agent). ECDSA P-256 keys from Node's WebCrypto,
 * certificates written by @peculiar/x509; neither is ever checked against a CA, only by its SHA-256 fingerprint.
 */
import 'reflect-metadata'; // tsyringe, under @peculiar/x509, needs the polyfill loaded first
import * as x509 from '@peculiar/x509';
import crypto from 'node:crypto';

x509.cryptoProvider.set(crypto.webcrypto as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Pinned, never renewed: long enough to outlive the site; OpenSSL still checks the dates of a pinned certificate. */
const YEARS = 50;

export interface KeyAndCert {
  /** PKCS#8 private key, PEM. */
  key: string;
  cert: string;
  /** SHA-256 of the certificate's DER, as Node's `fingerprint256` writes it (AA:BB:…). */
  fingerprint: string;
}

export async function makeSelfSigned(commonName: string): Promise<KeyAndCert> {
  const subtle = crypto.webcrypto.subtle;
  const keys = (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto
      .randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + YEARS * 365.25 * 86400_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  const pem = cert.toString('pem');
  return { key, cert: pem, fingerprint: fingerprintOf(pem) };
}

export function fingerprintOf(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256;
}

/** A certificate's DER (as a TLS peer gives it) in PEM. */
export function derToPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}
