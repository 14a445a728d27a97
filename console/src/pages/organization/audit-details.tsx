import { Button } from "../../ui/Button";
import type { AuditEvent } from "./audit-words";

/** Shows or hides one event's details; says which way it is (aria-expanded). */
export function DetailsButton({
  controls,
  expanded,
  onPress,
}: {
  controls: string;
  expanded: boolean;
  onPress: () => void;
}) {
  return (
    <Button
      variant="quiet"
      className="px-2 py-1"
      aria-expanded={expanded}
      aria-controls={expanded ? controls : undefined}
      onPress={onPress}
    >
      <span
        aria-hidden="true"
        className={`inline-block transition-transform ${expanded ? "rotate-90" : ""}`}
      >
        ▸
      </span>
      Details
    </Button>
  );
}

/** Everything the event recorded: ids, where it came from, and its metadata as stored. */
export function AuditDetails({ id, event }: { id: string; event: AuditEvent }) {
  const fields: Array<[string, string]> = [
    ["Event", event.id],
    ["Action", event.action],
    ["Actor", `${event.actor.type}${event.actor.id ? ` ${event.actor.id}` : ""}`],
    ["Target", event.target ? `${event.target.type} ${event.target.id}` : "—"],
    ["Time", event.createdAt],
    ["Address", event.ipAddress ?? "—"],
    ["User agent", event.userAgent ?? "—"],
  ];
  return (
    <div id={id} className="w-full rounded-md bg-slate-50 p-3 text-sm whitespace-normal">
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1">
        {fields.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-slate-700">{label}</dt>
            <dd className="font-mono text-xs break-all text-slate-900 leading-5">{value}</dd>
          </div>
        ))}
        <dt className="text-slate-700">Metadata</dt>
        <dd>
          <pre className="overflow-x-auto font-mono text-xs whitespace-pre-wrap break-all text-slate-900">
            {JSON.stringify(event.metadata, null, 2)}
          </pre>
        </dd>
      </dl>
    </div>
  );
}
