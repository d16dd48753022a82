/** The dialog skeleton moved to ui/FormDialog.tsx for every page; re-exported here for the protection views. */
export { ConfirmDialog, FormDialog, type ConfirmDialogProps, type FormDialogProps } from '../ui/FormDialog';
