import type { ReactNode } from "react";
import { errorMessage } from "../lib/errors";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";

export function PageTitle({
  children,
  description,
}: {
  children: ReactNode;
  description?: ReactNode;
}) {
  return (
    <header className="mb-6">
      <h1 className="text-2xl font-semibold text-slate-900">{children}</h1>
      {description && <p className="mt-1 text-sm text-slate-700">{description}</p>}
    </header>
  );
}

/** A failed load, with a way to try again. */
export function LoadError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <Banner tone="error">
      <span className="flex-1">{errorMessage(error)}</span>
      <Button variant="secondary" onPress={retry}>
        Try again
      </Button>
    </Banner>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="text-sm text-slate-700">
      Loading {what}…
    </p>
  );
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * A date and time for a table cell: one line where the column has room, the time under the date
 * where it has not, so that a row's last column (its actions) stays on screen.
 */
export function DateTime({ value }: { value: string | null | undefined }) {
  if (!value) return <>—</>;
  const date = new Date(value);
  return (
    <time dateTime={value} className="whitespace-normal">
      <span className="whitespace-nowrap">
        {date.toLocaleDateString(undefined, { dateStyle: "medium" })}
      </span>{" "}
      <span className="whitespace-nowrap">
        {date.toLocaleTimeString(undefined, { timeStyle: "short" })}
      </span>
    </time>
  );
}
