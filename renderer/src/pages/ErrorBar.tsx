/** The error bar moved to ui/ErrorBar.tsx; re-exported here for the pages not yet moved over. */
export { ErrorBar } from '../ui/ErrorBar';
