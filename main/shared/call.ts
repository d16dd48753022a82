/** How a contract call is declared: its input and output schemas and how the CLI and console present it. */
import type { z } from 'zod';

export interface CliSpec {
  /** Words that name the command, e.g. "jobs list". */
  command: string;
  /** Input fields taken as positional arguments, in order. */
  positional?: string[];
  /** `--flag-name` reads a file and puts its text into the named input field. */
  fileFlags?: Record<string, string>;
  /** Input fields that are file system paths: the CLI makes them absolute before sending. */
  paths?: string[];
  /** The call starts a job whose id is at `value.id` (or `value.jobId`): the CLI follows it unless --detach. */
  startsJob?: boolean;
  /** How --json-less output is shown: a table of these columns when the value is an array. */
  columns?: string[];
  /** A destructive command: the CLI asks this question (y/N) unless --yes is given; {field} names an input value. */
  confirm?: string;
  /** Input fields whose values name existing objects, for tab completion. */
  lookups?: Record<string, 'job' | 'alert' | 'account' | 'backup' | 'device' | 'item' | 'site' | 'policy'>;
  /** Human formatter name for non-tabular output (see cli/format.ts). */
  view?: 'service-created' | 'status' | 'job' | 'record' | 'lines' | 'script' | 'targets' | 'prechecks' | 'files';
}

export interface CallSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  summary: string;
  input: I;
  output: O;
  cli: CliSpec;
  /** Long-running calls (they wait for something) are exempt from the transport's request timeout. */
  long?: boolean;
}

export const call = <I extends z.ZodObject, O extends z.ZodType>(spec: CallSpec<I, O>) => spec;
