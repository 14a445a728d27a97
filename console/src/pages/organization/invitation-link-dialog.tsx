import { Button } from "../../ui/Button";
import { CopyButton } from "../../ui/CopyButton";
import { Dialog } from "../../ui/Dialog";
import { formatDate } from "../page";

export interface RenewedLink {
  email: string;
  url: string;
  expiresAt: string;
}

/** The new link of an invitation resent by link: the old one no longer works, so this is the one to pass on. */
export function InvitationLinkDialog({
  renewed,
  onClose,
}: {
  renewed: RenewedLink | null;
  onClose: () => void;
}) {
  return (
    <Dialog
      title="New invitation link"
      isOpen={renewed !== null}
      onOpenChange={(open) => !open && onClose()}
    >
      {renewed && (
        <>
          <p className="text-sm text-slate-700">
            Send this link to <span className="font-medium break-words">{renewed.email}</span>. The
            old link no longer works; this one works until {formatDate(renewed.expiresAt)}.
          </p>
          <code className="block rounded-md border border-slate-300 bg-slate-100 p-3 text-sm break-all text-slate-900">
            {renewed.url}
          </code>
          <div className="flex justify-end gap-2">
            <CopyButton text={renewed.url} />
            <Button slot="close">Done</Button>
          </div>
        </>
      )}
    </Dialog>
  );
}
