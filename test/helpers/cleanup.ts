/** Vitest setup: every test file removes the temporary homes and data folders it made. */
import { afterAll } from 'vitest';
import { removeTempHomes } from './home';

afterAll(removeTempHomes);
