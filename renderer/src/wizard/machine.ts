/**
 * A typed step machine for wizards shown in a dialog (add a storage account, restore a backup). Each step declares
 * its strings, its fields, the checks that run before Next, and what Next does and where it leads. When the engine
 * refuses, the outcome names the step where the user can fix it; the data typed so far is never reset.
 */
import type { ReactNode } from 'react';
import type { ErrorInfo } from '../api/types';

/** Field name → what is wrong with it. */
export type Problems<F extends string = string> = Partial<Record<F, string>>;

export interface StepBodyProps<D> {
  data: D;
  update(patch: Partial<D>): void;
  /** Problems to show next to fields: the local checks once Next was tried, or the field the engine named. */
  problems: Problems;
  /** The engine's refusal that sent the user here, if any (the frame shows it above the fields too). */
  error: ErrorInfo | null;
}

export type Outcome<Id extends string, D> =
  | { ok: true; go: Id | 'finish'; patch?: Partial<D> }
  /** A refusal: shown on `go` (default: this step), with `field` marked; `patch` may e.g. offer a checkbox. */
  | { ok: false; error: ErrorInfo; go?: Id; field?: string; patch?: Partial<D> };

export interface WizardStep<Id extends string, D> {
  id: Id;
  title: string;
  intro(data: D): string;
  nextLabel(data: D): string;
  /** Nothing left for the frame's Cancel to cancel (e.g. a job runs, with its own Cancel): only Next (Close) is shown. */
  noCancel?: boolean;
  back?(data: D): Id | null;
  /** Runs before Next; any problem blocks it. */
  validate(data: D): Problems;
  submit(data: D): Promise<Outcome<Id, D>> | Outcome<Id, D>;
  Body(props: StepBodyProps<D>): ReactNode;
}

export type StepMachine<Id extends string, D> = Record<Id, WizardStep<Id, D>>;

export const hasProblems = (p: Problems) => Object.values(p).some(Boolean);

/** Fluent Field props for a problem. */
export const fieldState = (problem: string | undefined | null) =>
  problem ? ({ validationState: 'error', validationMessage: problem } as const) : {};

/** The input field a refusal is about (ErrorInfo.field, e.g. "container"), if any, so it is shown next to what to change. */
export function fieldOf(error: ErrorInfo): string | null {
  return error.field ?? null;
}
