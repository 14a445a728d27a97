import { Link } from "@tanstack/react-router";
import { LinkPage } from "./link-page";

export default function NotFound() {
  return (
    <LinkPage title="Page not found">
      <p className="text-sm text-slate-700">There is no page at this address.</p>
      <Link to="/home" className="font-medium text-brand-700 underline">
        Go to Atrium
      </Link>
    </LinkPage>
  );
}
