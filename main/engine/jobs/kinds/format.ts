/** Sizes in job messages: the engine formats its own messages because every client shows them as they are. */
export { formatBytes as describeBytes } from '../../../shared/units';
