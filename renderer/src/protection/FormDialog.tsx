/**
 * Kept only for protection/failover/, which imports the dialog skeleton from here: everything lives in
 * ui/FormDialog.tsx (import it from there); remove this file once failover/ imports ui/ directly.
 */
export { ConfirmDialog, FormDialog, jobStarter, type ConfirmDialogProps, type FormDialogProps } from '../ui/FormDialog';
