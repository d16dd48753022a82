/** Usage errors and help put "the" before a field's description only when it has no article of its own ("the the device name"). */
import { describe, expect, it } from 'vitest';
import { commands } from '../../main/shared/language/commands';
import { parseWords, UsageError } from '../../main/shared/language/parse';

function usage(words: string[]): UsageError {
  try {
    parseWords(words);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`expected a usage error for ${words.join(' ')}`);
}

describe('the words of usage errors', () => {
  it('say "the device name", not "the the device name", for a missing --confirm', () => {
    const e = usage(['device', 'deactivate', 'fs1']);
    expect(e.message).toBe('`device deactivate` needs --confirm: the device name again, typed exactly, to confirm.');
  });

  it('say "It is the device name", for a flag given no value, and keep "the" for a description without an article', () => {
    expect(usage(['device', 'deactivate', 'fs1', '--confirm']).hint).toBe(
      'It is the device name again, typed exactly, to confirm.',
    );
    expect(usage(['share', 'create', 'fs1']).message).toMatch(/^`share create` needs NAME: the share name/);
  });

  it('never double an article anywhere in the flags of any command', () => {
    const texts = commands.flatMap((c) => c.flags.map((f) => f.description ?? ''));
    expect(texts.filter((t) => /\b(the|a|an) (the|a|an)\b/i.test(t))).toEqual([]);
  });
});
