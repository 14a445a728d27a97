import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type components, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { Card, CardList, TABLE_FROM } from "../../ui/CardList";
import { ConfirmDialog } from "../../ui/ConfirmDialog";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import { toast } from "../../ui/Toast";
import { DateTime, formatDate, LoadError, Loading } from "../page";

const sessionsKey = ["me", "sessions"];

type Session = components["schemas"]["Session"];

function ThisDevice() {
  return (
    <span className="inline-block rounded whitespace-nowrap bg-brand-100 px-2 py-0.5 text-xs font-medium text-brand-800">
      This device
    </span>
  );
}

/** The device's line, and the mark of this one: on one line if there is room. */
function DeviceName({ session }: { session: Session }) {
  return (
    <span className="whitespace-normal">
      {session.device.label}
      {session.current && (
        <>
          {" "}
          <ThisDevice />
        </>
      )}
    </span>
  );
}

export default function Sessions() {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: sessionsKey,
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/api/v1/me/sessions", { params: { query: { limit: "200" } } }),
      );
      // This device first.
      return [...page.items].sort((a, b) => Number(b.current) - Number(a.current));
    },
  });
  const [confirmAll, setConfirmAll] = useState(false);
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/me/sessions/{id}", { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      queryClient.setQueryData(sessionsKey, (rows: Session[] | undefined) =>
        rows?.filter((row) => row.id !== id),
      );
      toast("Session revoked.");
    },
  });
  const revokeOthers = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/me/sessions")),
    onSuccess: () => {
      queryClient.setQueryData(sessionsKey, (rows: Session[] | undefined) =>
        rows?.filter((row) => row.current),
      );
      setConfirmAll(false);
      toast("Every other session is signed out.");
    },
  });
  const others = (sessions.data ?? []).filter((session) => !session.current).length;
  const revokeButton = (session: Session) => (
    <Button
      variant="secondary"
      aria-label={`Revoke ${session.device.label}`}
      pending={revoke.isPending && revoke.variables === session.id}
      onPress={() => revoke.mutate(session.id)}
    >
      Revoke
    </Button>
  );
  return (
    <section aria-labelledby="sessions-title" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="sessions-title" className="text-lg font-semibold">
          Sessions
        </h2>
        {others > 0 && (
          <Button variant="secondary" onPress={() => setConfirmAll(true)}>
            Sign out all other sessions
          </Button>
        )}
      </div>
      {revoke.isError && <Banner tone="error">{errorMessage(revoke.error)}</Banner>}
      {sessions.isPending ? (
        <Loading what="sessions" />
      ) : sessions.isError ? (
        <LoadError error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <>
          <Table aria-label="Sessions" className={TABLE_FROM.lg.table}>
            <TableHeader>
              <Column isRowHeader>Device</Column>
              <Column>Address</Column>
              <Column>Signed in</Column>
              <Column>Last active</Column>
              <Column>Expires</Column>
              <Column>
                <span className="sr-only">Actions</span>
              </Column>
            </TableHeader>
            <TableBody items={sessions.data}>
              {(session) => (
                <Row id={session.id}>
                  <Cell>
                    <DeviceName session={session} />
                  </Cell>
                  <Cell>{session.ipAddress ?? "—"}</Cell>
                  <Cell>
                    <DateTime value={session.createdAt} />
                  </Cell>
                  <Cell>
                    <DateTime value={session.lastActiveAt} />
                  </Cell>
                  <Cell>
                    <DateTime value={session.expiresAt} />
                  </Cell>
                  <Cell>{!session.current && revokeButton(session)}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <CardList label="Sessions">
            {sessions.data.map((session) => (
              <Card
                key={session.id}
                title={<DeviceName session={session} />}
                fields={[
                  ["Address", session.ipAddress ?? "—"],
                  ["Signed in", formatDate(session.createdAt)],
                  ["Last active", formatDate(session.lastActiveAt)],
                  ["Expires", formatDate(session.expiresAt)],
                ]}
                actions={session.current ? undefined : revokeButton(session)}
              />
            ))}
          </CardList>
        </>
      )}
      <ConfirmDialog
        title="Sign out all other sessions?"
        isOpen={confirmAll}
        onOpenChange={setConfirmAll}
        confirmLabel="Sign out all other sessions"
        onConfirm={() => revokeOthers.mutate()}
        pending={revokeOthers.isPending}
        error={revokeOthers.isError ? errorMessage(revokeOthers.error) : undefined}
      >
        Every other device signed in to your account is signed out at once. This device stays signed
        in.
      </ConfirmDialog>
    </section>
  );
}
