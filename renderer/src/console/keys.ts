/** Splits terminal input (typed keys, escape sequences, pasted text) into keys the console understands. */

export type ControlKey =
  | 'enter'
  | 'backspace'
  | 'delete'
  | 'tab'
  | 'left'
  | 'right'
  | 'wordLeft'
  | 'wordRight'
  | 'home'
  | 'end'
  | 'up'
  | 'down'
  | 'interrupt'
  | 'clear'
  | 'search'
  | 'escape'
  | 'killToStart'
  | 'killToEnd'
  | 'deleteWordBack'
  | 'abortSearch'
  | 'eof'
  | 'ignore';

export type Key = { kind: 'text'; text: string } | { kind: ControlKey };

const SEQUENCES: Record<string, ControlKey> = {
  '[A': 'up',
  '[B': 'down',
  '[C': 'right',
  '[D': 'left',
  OA: 'up',
  OB: 'down',
  OC: 'right',
  OD: 'left',
  '[H': 'home',
  OH: 'home',
  '[1~': 'home',
  '[7~': 'home',
  '[F': 'end',
  OF: 'end',
  '[4~': 'end',
  '[8~': 'end',
  '[3~': 'delete',
  '[1;5C': 'wordRight',
  '[1;5D': 'wordLeft',
  '[1;3C': 'wordRight',
  '[1;3D': 'wordLeft',
  f: 'wordRight',
  b: 'wordLeft',
};

const CONTROLS: Record<string, ControlKey> = {
  '\r': 'enter',
  '\n': 'enter',
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\t': 'tab',
  '\x03': 'interrupt',
  '\x0c': 'clear',
  '\x12': 'search',
  '\x01': 'home',
  '\x05': 'end',
  '\x02': 'left',
  '\x06': 'right',
  '\x15': 'killToStart',
  '\x0b': 'killToEnd',
  '\x17': 'deleteWordBack',
  '\x07': 'abortSearch',
  '\x04': 'eof',
};

export function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < data.length) {
    const ch = data[i];
    if (ch === '\x1b') {
      const m = /^\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z]|[a-z])?/.exec(data.slice(i))!;
      keys.push({ kind: m[1] ? (SEQUENCES[m[1]] ?? 'ignore') : 'escape' });
      i += m[0].length;
    } else if (ch < ' ' || ch === '\x7f') {
      // A pasted "\r\n" is one line break.
      if (ch === '\r' && data[i + 1] === '\n') i++;
      keys.push({ kind: CONTROLS[ch] ?? 'ignore' });
      i++;
    } else {
      let j = i;
      while (j < data.length && data[j] >= ' ' && data[j] !== '\x7f' && data[j] !== '\x1b') j++;
      keys.push({ kind: 'text', text: data.slice(i, j) });
      i = j;
    }
  }
  return keys;
}
