import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../main/engine/log';
import { tempHome } from '../helpers/home';

describe('log', () => {
  it('writes JSON lines, honours the level, redacts secret fields and rotates by size', () => {
    const dir = tempHome();
    const log = new Logger(dir, 2000, 3);
    log.debug('hidden at info level');
    log.info('account added', { account: 'lab', accountKey: 'AAAA-secret', nested: { chapSecret: 'x'.repeat(14) } });
    const first = JSON.parse(fs.readFileSync(log.file, 'utf8').trim());
    expect(first).toMatchObject({ level: 'info', msg: 'account added', account: 'lab', accountKey: '[redacted]', nested: { chapSecret: '[redacted]' } });
    for (let i = 0; i < 100; i++) log.warn(`line ${i}`, { i });
    log.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['lifeboat.1.log', 'lifeboat.2.log', 'lifeboat.log']);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2000);
    const last = fs.readFileSync(log.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(last.at(-1)).toMatchObject({ level: 'warn', msg: 'line 99', i: 99 });
    expect(fs.readFileSync(log.file, 'utf8')).not.toContain('hidden at info level');
  });
});
