/** What the command language needs from its surroundings: the system terminal (CLI) or the in-app console. */
import type { EngineEvent } from '../schemas';
import type { Result } from '../errors';

export interface CommandIO {
  /** Calls the API (local socket, in-process engine, IPC or WebSocket: all the same contract). */
  call(name: string, input: unknown): Promise<Result<unknown>>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
  /** Writes output; lines end with "\n" (the console turns them into "\r\n"). */
  write(text: string): void;
  /** Writes an error report (stderr in a system terminal); defaults to write. */
  writeError?(text: string): void;
  /** Whether ANSI colours and a redrawn progress line may be used. */
  interactive: boolean;
  /** Terminal width for tables and progress bars. */
  columns: number;
  /** Reads a file named by a `--…-file` flag (absent in the in-app console of web mode). */
  readFile?(path: string): Promise<string>;
  /** Makes a path absolute against the current directory. */
  resolvePath?(p: string): string;
  /** Asks the user to type an answer (destructive confirmations); absent when no one can answer. */
  prompt?(question: string): Promise<string | null>;
  /** Aborted by Ctrl+C. */
  signal?: AbortSignal;
}

/** Entry points the console and the CLI share (implemented in ./run.ts). */
export interface CommandLanguage {
  /** Runs one command line (or argv); returns the exit code. */
  run(line: string | string[], io: CommandIO): Promise<number>;
  /** Completions for the word under the cursor: candidates and where the word starts. */
  complete(line: string, cursor: number, io: CommandIO): Promise<{ from: number; items: string[] }>;
}
