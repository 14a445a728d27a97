import type { ReactNode } from "react";
import { Banner } from "./Banner";
import { Button } from "./Button";
import { Dialog } from "./Dialog";

export interface ConfirmDialogProps {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  /** What the action does, in a sentence or two. */
  children: ReactNode;
  /** The destructive button's label, naming the action ("Revoke"). */
  confirmLabel: string;
  onConfirm: () => void;
  pending: boolean;
  /** The last attempt's error message, shown above the buttons. */
  error?: string | undefined;
}

/** Asks before a destructive action: an alert dialog with Cancel and the action. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <Dialog
      title={props.title}
      role="alertdialog"
      isOpen={props.isOpen}
      onOpenChange={props.onOpenChange}
    >
      <p className="text-sm text-slate-700">{props.children}</p>
      {props.error && <Banner tone="error">{props.error}</Banner>}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" slot="close">
          Cancel
        </Button>
        <Button variant="danger" pending={props.pending} onPress={props.onConfirm}>
          {props.confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
