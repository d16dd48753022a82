/**
 * Errors as the app's screens say them. The engine writes one message for every surface: a message about input
 * starts with its field ("registrationKey: …"), and a hint names the command that fixes it (`lifeboat account
 * check lab`). The CLI and the in-app console print them as they are; the app's pages show the message without the
 * internal field name (at the field, or after the field's label elsewhere) and name the button or page instead.
 */
import { namedField, type ErrorInfo } from '../../../main/shared/errors';

/** Field names whose words are not just the name split at its capitals. */
const LABELS: Record<string, string> = {
  acr: 'Access control records',
  chapUser: 'CHAP user name',
  chapSecret: 'CHAP secret',
  sasUrl: 'SAS URL',
  local: 'Folder',
  root: 'Data root folder',
  capacity: 'Maximum capacity',
  registrationKey: 'Service registration key',
  sdek: 'Service data encryption key',
  to: 'Restore into',
  keepDaily: 'Keep rules',
};

/** "registrationKey" → "Service registration key", "timeZone" → "Time zone". */
export function fieldLabel(field: string): string {
  const last =
    field
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? field;
  if (LABELS[last]) return LABELS[last];
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Where the app does what a CLI command does: matched on the command's words, first match wins. */
const PLACES: Array<[RegExp, string]> = [
  [/^account check\b/, 'Check on the Storage accounts page'],
  [/^account test\b/, 'Test on the Storage accounts page'],
  [/^account rebuild-catalog\b/, "Rebuild catalog in the account's menu on the Storage accounts page"],
  [/^account add\b/, 'Add storage account on the Storage accounts page'],
  [/^account (list|show)\b/, 'the Storage accounts page'],
  [/^failover (targets|start|plan)\b/, 'Fail over on the Devices page'],
  [/^failover backups\b/, "the failover wizard's backup step (Fail over on the Devices page)"],
  [/^failover (resume|abandon)\b/, "the failover's progress on the Devices page"],
  [/^failover checklist\b/, "the DNS checklist on the device's page"],
  [/^device (list|show)\b/, 'the Devices page'],
  [/^device create\b/, 'Configure device on the Devices page'],
  [/^device deactivate\b/, 'Deactivate on the Devices page'],
  [/^device register\b/, "Register on the device's page"],
  [/^device (online|offline)\b/, "the device's page"],
  [/^device backup\b/, 'Take backup now on the Devices page'],
  [/^(share|volume) (create|edit|list|online|offline|delete)\b/, "the device's page on the Devices page"],
  [/^service registration-key\b/, 'Show registration key on the Dashboard'],
  [/^service (init|join)\b/, 'the welcome wizard'],
  [/^jobs? (resume|cancel)\b/, 'the Jobs page'],
  [/^jobs? (list|show|wait)\b/, 'the Jobs page'],
  [/^backup (list|show)\b/, 'the Backups page'],
  [/^backup create\b/, 'Take a backup on the Backups page'],
  [/^backup delete\b/, 'Delete on the Backups page'],
  [/^(backup files|restore)\b/, 'Restore on the Backups page'],
  [/^prune\b/, 'Prune on the Backups page'],
  [/^alerts?\b/, 'the Alerts page'],
  [/^(site|policy)\b/, 'the Protected items page'],
  [/^item\b/, 'the Protected items page'],
  [/^settings\b/, 'the Settings page'],
];

/**
 * Replaces each `lifeboat …` command in a text by the button or page that does the same. A command the app has no
 * place for (one that runs on another host, `lifeboat agent serve`) stays, said to be for the Console page or there.
 */
export function placesForCommands(text: string): string {
  return text.replace(/`lifeboat ([^`]+)`/g, (whole, command: string) => {
    if (/^agent\b/.test(command)) return whole;
    const place = PLACES.find(([re]) => re.test(command))?.[1];
    return place ?? `${whole} on the Console page`;
  });
}

/** An error as a page shows it: the field it is about (see ErrorInfo.field), its message without that name, places for commands. */
export function forScreen(error: ErrorInfo): ErrorInfo {
  const field = error.field ?? namedField(error.code, error.message);
  let message = error.message;
  if (field) {
    const prefix = new RegExp(`^${field.replace(/\./g, '\\.')}: `, 'i');
    const rest = message.replace(prefix, '');
    message = rest.charAt(0).toUpperCase() + rest.slice(1);
  }
  return {
    ...error,
    message: placesForCommands(message),
    ...(error.hint ? { hint: placesForCommands(error.hint) } : {}),
    ...(field ? { field } : {}),
  };
}

/** The message of an error shown away from its field: led by the field's label ("Quota: 600 MiB does not fit …"). */
export function labelledMessage(error: Pick<ErrorInfo, 'message' | 'field'>): string {
  return error.field ? `${fieldLabel(error.field)}: ${error.message}` : error.message;
}
