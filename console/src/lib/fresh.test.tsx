import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { FreshSessionProvider, ReauthenticationCancelled, useFresh } from "./fresh";

afterEach(cleanup);

function Harness({ action }: { action: () => Promise<string> }) {
  const fresh = useFresh();
  const [result, setResult] = useState("");
  return (
    <>
      <button
        type="button"
        onClick={() =>
          fresh(action).then(setResult, (error) =>
            setResult(error instanceof ReauthenticationCancelled ? "cancelled" : "failed"),
          )
        }
      >
        Change email
      </button>
      <output>{result}</output>
    </>
  );
}

const notFresh = () => new ApiError(403, "session_not_fresh", "Confirm your password.");

describe("the fresh-session wrapper", () => {
  it("asks for the password and retries the original action by itself", async () => {
    const action = vi.fn().mockRejectedValueOnce(notFresh()).mockResolvedValueOnce("changed");
    const reauthenticate = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(403, "invalid_password", "Wrong password."))
      .mockResolvedValueOnce(undefined);
    render(
      <FreshSessionProvider reauthenticate={reauthenticate}>
        <Harness action={action} />
      </FreshSessionProvider>,
    );

    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Change email" })));
    const dialog = await screen.findByRole("dialog", { name: "Confirm your password" });
    expect(dialog).toBeTruthy();
    const field = screen.getByLabelText("Password");

    fireEvent.change(field, { target: { value: "wrong" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Confirm" })));
    await screen.findByText("That password is not correct.");
    expect(action).toHaveBeenCalledTimes(1);

    fireEvent.change(field, { target: { value: "right password" } });
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Confirm" })));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("changed"));
    expect(reauthenticate).toHaveBeenLastCalledWith("right password");
    expect(action).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("passes other errors through without a dialog", async () => {
    const action = vi.fn().mockRejectedValue(new ApiError(409, "email_taken", "Taken."));
    render(
      <FreshSessionProvider reauthenticate={vi.fn()}>
        <Harness action={action} />
      </FreshSessionProvider>,
    );
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Change email" })));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("failed"));
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("rejects with ReauthenticationCancelled when the person cancels", async () => {
    const action = vi.fn().mockRejectedValue(notFresh());
    render(
      <FreshSessionProvider reauthenticate={vi.fn()}>
        <Harness action={action} />
      </FreshSessionProvider>,
    );
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Change email" })));
    await screen.findByRole("dialog");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Cancel" })));
    await waitFor(() => expect(screen.getByRole("status").textContent).toBe("cancelled"));
    expect(action).toHaveBeenCalledTimes(1);
  });
});
