import { Button } from "./Button";
import { toast } from "./Toast";

/**
 * Copies a text (an invitation link) to the clipboard and says so in a toast. Where the browser
 * refuses the clipboard, the toast says to copy the text by hand: it is always shown beside.
 */
export function CopyButton({
  text,
  children = "Copy link",
  copied = "Link copied",
  "aria-label": ariaLabel,
}: {
  text: string;
  /** The visible label. */
  children?: string;
  /** The toast once copied. */
  copied?: string;
  /** A longer name where several buttons share the visible label (it starts with it). */
  "aria-label"?: string;
}) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      toast(copied);
    } catch {
      toast("This browser did not allow copying: select the link and copy it.");
    }
  };
  return (
    <Button variant="secondary" aria-label={ariaLabel} onPress={() => void copy()}>
      {children}
    </Button>
  );
}
