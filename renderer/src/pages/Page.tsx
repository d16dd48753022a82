/** The page frame and section styles moved to ui/Page.tsx; re-exported here for the pages not yet moved over. */
export { Page, useSectionStyles } from '../ui/Page';
