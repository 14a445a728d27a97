import { can, ROLE_NAMES, type Role } from "../../lib/organization";
import { Button } from "../../ui/Button";
import { Card, CardList, TABLE_FROM } from "../../ui/CardList";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import type { Member } from "./members-changes";

const ROLES = Object.keys(ROLE_NAMES) as Role[];

export interface Viewer {
  userId: string;
  /** The viewer's membership id; only compared with a row's when the row is theirs. */
  memberId: string | null;
  role: Role;
}

export interface MemberControls {
  requestRole: (member: Member, role: Role, mine: boolean) => void;
  remove: (member: Member) => void;
  leave: (member: Member) => void;
  changing: string | null;
}

function You() {
  return (
    <span className="inline-block rounded whitespace-nowrap bg-brand-100 px-2 py-0.5 text-xs font-medium text-brand-800">
      You
    </span>
  );
}

function Name({ member, mine }: { member: Member; mine: boolean }) {
  return (
    <span className="whitespace-normal">
      {member.user.name}
      {mine && (
        <>
          {" "}
          <You />
        </>
      )}
    </span>
  );
}

function joined(value: string) {
  return (
    <time dateTime={value}>
      {new Date(value).toLocaleDateString(undefined, { dateStyle: "medium" })}
    </time>
  );
}

/**
 * What the viewer may do to one member, from the roles table: the roles they may give (the
 * current one included, so the select shows it), and whether they may remove the member.
 */
function allowed(viewer: Viewer, member: Member) {
  const mine = member.user.id === viewer.userId;
  // On the viewer's own row their membership is this row; elsewhere any other id will do, since
  // the table compares the two only to recognise leaving.
  const actor = { memberId: mine ? member.id : (viewer.memberId ?? ""), role: viewer.role };
  const target = { memberId: member.id, role: member.role };
  const roles = ROLES.filter(
    (role) =>
      role === member.role || can(actor, { type: "member:change_role", target, role: role }),
  );
  return {
    mine,
    roles: roles.length > 1 ? roles : null,
    removable: !mine && can(actor, { type: "member:remove", target }),
  };
}

function RoleControl({
  member,
  viewer,
  controls,
}: {
  member: Member;
  viewer: Viewer;
  controls: MemberControls;
}) {
  const { mine, roles } = allowed(viewer, member);
  if (!roles) return <>{ROLE_NAMES[member.role]}</>;
  return (
    <select
      aria-label={`Role of ${member.user.name}`}
      value={member.role}
      disabled={controls.changing === member.id}
      onChange={(event) => controls.requestRole(member, event.target.value as Role, mine)}
      className="rounded-md border border-slate-400 bg-white px-2 py-1 text-sm text-slate-900 disabled:opacity-60"
    >
      {roles.map((role) => (
        <option key={role} value={role}>
          {ROLE_NAMES[role]}
        </option>
      ))}
    </select>
  );
}

function Actions({
  member,
  viewer,
  controls,
}: {
  member: Member;
  viewer: Viewer;
  controls: MemberControls;
}) {
  const { mine, removable } = allowed(viewer, member);
  if (mine) {
    return (
      <Button variant="secondary" onPress={() => controls.leave(member)}>
        Leave organization
      </Button>
    );
  }
  if (!removable) return null;
  return (
    <Button
      variant="secondary"
      aria-label={`Remove ${member.user.name}`}
      onPress={() => controls.remove(member)}
    >
      Remove
    </Button>
  );
}

/** The members as a table on wide screens and as cards on narrow ones. */
export function MembersList({
  members,
  viewer,
  controls,
  busy,
}: {
  members: Member[];
  viewer: Viewer;
  controls: MemberControls;
  busy: boolean;
}) {
  return (
    <div aria-busy={busy} className={busy ? "opacity-70" : undefined}>
      <Table aria-label="Members" className={TABLE_FROM.lg.table}>
        <TableHeader>
          <Column isRowHeader>Name</Column>
          <Column>Email</Column>
          <Column>Role</Column>
          <Column>Joined</Column>
          <Column>
            <span className="sr-only">Actions</span>
          </Column>
        </TableHeader>
        <TableBody items={members} dependencies={[viewer, controls.changing]}>
          {(member) => (
            <Row id={member.id}>
              <Cell>
                <Name member={member} mine={member.user.id === viewer.userId} />
              </Cell>
              <Cell>{member.user.email}</Cell>
              <Cell>
                <RoleControl member={member} viewer={viewer} controls={controls} />
              </Cell>
              <Cell>{joined(member.joinedAt)}</Cell>
              <Cell>
                <Actions member={member} viewer={viewer} controls={controls} />
              </Cell>
            </Row>
          )}
        </TableBody>
      </Table>
      <CardList label="Members">
        {members.map((member) => (
          <Card
            key={member.id}
            title={<Name member={member} mine={member.user.id === viewer.userId} />}
            fields={[
              ["Email", member.user.email],
              [
                "Role",
                <RoleControl key="role" member={member} viewer={viewer} controls={controls} />,
              ],
              ["Joined", joined(member.joinedAt)],
            ]}
            actions={<Actions member={member} viewer={viewer} controls={controls} />}
          />
        ))}
      </CardList>
    </div>
  );
}
