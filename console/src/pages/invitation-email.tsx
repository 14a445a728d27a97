import { Input, Label, Text, TextField } from "react-aria-components";

/**
 * The email field of a form opened from an invitation: filled in with the invited address and
 * read-only, since the invitation can be accepted only by that address.
 */
export function InvitationEmailField({ email }: { email: string }) {
  return (
    <TextField value={email} isReadOnly type="email" className="flex flex-col gap-1">
      <Label className="text-sm font-medium text-slate-800">Email</Label>
      <Input className="rounded-md border border-slate-300 bg-slate-100 px-3 py-2 text-sm text-slate-900" />
      <Text slot="description" className="text-xs text-slate-700">
        Fixed: the invitation was sent to this address.
      </Text>
    </TextField>
  );
}

/** An address as the server compares it: NFC, lowercase, the domain in punycode. */
function canonicalEmail(email: string): string {
  const lowered = email.trim().normalize("NFC").toLowerCase();
  const at = lowered.lastIndexOf("@");
  try {
    return `${lowered.slice(0, at)}@${new URL(`http://${lowered.slice(at + 1)}`).hostname}`;
  } catch {
    return lowered;
  }
}

/** Whether the signed-in account is the one an invitation was sent to. */
export function sameEmail(a: string, b: string): boolean {
  return canonicalEmail(a) === canonicalEmail(b);
}
