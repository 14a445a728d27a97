import { type ReactNode, useState } from "react";
import { Form } from "react-aria-components";
import { Banner } from "./Banner";
import { Button } from "./Button";
import { Dialog } from "./Dialog";
import { TextField } from "./TextField";

/**
 * Asks before what cannot be undone (deleting an account, an organization): the action stays
 * disabled until the person types `phrase` (an email, a name).
 */
export function TypedConfirmDialog({
  title,
  isOpen,
  onOpenChange,
  children,
  phrase,
  matches = (typed) => typed.trim() === phrase,
  confirmLabel,
  onConfirm,
  pending,
  error,
}: {
  title: string;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  /** What happens, in a sentence or two. */
  children: ReactNode;
  phrase: string;
  /** Whether what was typed is the phrase (an email compares in any letter case). */
  matches?: (typed: string) => boolean;
  confirmLabel: string;
  onConfirm: () => void;
  pending: boolean;
  error: string | null;
}) {
  const [typed, setTyped] = useState("");
  const confirmed = matches(typed);
  return (
    <Dialog
      title={title}
      role="alertdialog"
      isOpen={isOpen}
      onOpenChange={(open) => {
        if (!open) setTyped("");
        onOpenChange(open);
      }}
    >
      <Form
        className="flex flex-col gap-4"
        onSubmit={(event) => {
          event.preventDefault();
          if (confirmed && !pending) onConfirm();
        }}
      >
        <p className="text-sm text-slate-700">{children}</p>
        {error && <Banner tone="error">{error}</Banner>}
        <TextField
          label={`Type ${phrase} to confirm`}
          value={typed}
          onChange={setTyped}
          autoComplete="off"
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" slot="close">
            Cancel
          </Button>
          <Button type="submit" variant="danger" pending={pending} isDisabled={!confirmed}>
            {confirmLabel}
          </Button>
        </div>
      </Form>
    </Dialog>
  );
}
