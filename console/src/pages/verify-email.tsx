import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useSearch } from "@tanstack/react-router";
import { useEffect, useRef } from "react";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { Banner } from "../ui/Banner";
import { LinkPage } from "./link-page";

export default function VerifyEmail() {
  const { token } = useSearch({ strict: false }) as { token?: string };
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: (value: string) =>
      unwrap(api.POST("/api/v1/auth/verify-email", { body: { token: value } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["me"] }),
  });
  const sent = useRef(false);
  useEffect(() => {
    // Once, even when React runs effects twice in development.
    if (token && !sent.current) {
      sent.current = true;
      verify.mutate(token);
    }
  }, [token, verify]);

  if (!token || verify.isError) {
    return (
      <LinkPage title="This link no longer works">
        <p className="text-sm text-slate-700">
          {verify.isError ? errorMessage(verify.error) : "The link is incomplete."} Verification
          links work once; you can ask for a new one after signing in.
        </p>
        <Link to="/home" className="font-medium text-brand-700 underline">
          Continue to Atrium
        </Link>
      </LinkPage>
    );
  }
  if (verify.isSuccess) {
    return (
      <LinkPage title="Your email address is verified">
        <Banner tone="success">Thank you: the address is confirmed.</Banner>
        <Link to="/home" className="font-medium text-brand-700 underline">
          Continue to Atrium
        </Link>
      </LinkPage>
    );
  }
  return (
    <LinkPage title="Verifying your email address">
      <p role="status" className="text-sm text-slate-700">
        One moment…
      </p>
    </LinkPage>
  );
}
