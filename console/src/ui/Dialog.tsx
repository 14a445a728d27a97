import type { ReactNode } from "react";
import {
  Dialog as AriaDialog,
  Heading,
  Modal,
  ModalOverlay,
  type ModalOverlayProps,
} from "react-aria-components";

export interface DialogProps extends Omit<ModalOverlayProps, "children"> {
  title: string;
  children: ReactNode;
  /** Dialogs that must not close by accident (a secret shown once) set this to false. */
  dismissable?: boolean;
  role?: "dialog" | "alertdialog";
}

/** A modal dialog: focus trapped inside, returned on close. */
export function Dialog({ title, children, dismissable = true, role, ...props }: DialogProps) {
  return (
    <ModalOverlay
      {...props}
      isDismissable={dismissable}
      isKeyboardDismissDisabled={!dismissable}
      className="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/50 p-4"
    >
      <Modal className="w-full max-w-md rounded-lg bg-white p-6 shadow-xl">
        <AriaDialog role={role} className="flex flex-col gap-4 outline-none">
          <Heading slot="title" className="text-lg font-semibold text-slate-900">
            {title}
          </Heading>
          {children}
        </AriaDialog>
      </Modal>
    </ModalOverlay>
  );
}
