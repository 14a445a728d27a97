import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Form } from "react-aria-components";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";
import { ApiError } from "./api";
import { useApiForm } from "./form";
import { required, z } from "./schema";

afterEach(cleanup);

const schema = z.object({ email: required("Enter your email address.") });

function EmailForm({ action }: { action: (values: { email: string }) => Promise<void> }) {
  const { form, onSubmit, formError, pending } = useApiForm(schema, { email: "" }, action);
  return (
    <Form onSubmit={onSubmit} validationBehavior="aria">
      {formError && <Banner tone="error">{formError}</Banner>}
      <FormField control={form.control} name="email" label="Email" />
      <Button type="submit" pending={pending}>
        Send
      </Button>
    </Form>
  );
}

function describedText(element: HTMLElement): string {
  return (element.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

describe("API forms", () => {
  it("checks fields before sending anything", async () => {
    const action = vi.fn();
    render(<EmailForm action={action} />);
    await act(async () => fireEvent.submit(screen.getByRole("button", { name: "Send" })));
    await waitFor(() =>
      expect(describedText(screen.getByLabelText("Email"))).toContain("Enter your email address."),
    );
    expect(action).not.toHaveBeenCalled();
  });

  it("sends once while a submission is in flight", async () => {
    let finish: () => void = () => {};
    const action = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<EmailForm action={action} />);
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "ada@example.com" } });
    const form = screen.getByRole("button", { name: "Send" }).closest("form")!;
    await act(async () => {
      fireEvent.submit(form);
      fireEvent.submit(form);
    });
    await waitFor(() => expect(action).toHaveBeenCalledTimes(1));
    await act(async () => {
      fireEvent.submit(form);
    });
    expect(action).toHaveBeenCalledTimes(1);
    await act(async () => finish());
  });

  it("puts the API's field problem next to the field, and anything else above the form", async () => {
    const action = vi
      .fn()
      .mockRejectedValueOnce(
        new ApiError(400, "invalid_request", "Invalid field email.", [
          { field: "email", problem: "must be an email address" },
        ]),
      )
      .mockRejectedValueOnce(new ApiError(409, "email_taken", "That address is taken."));
    render(<EmailForm action={action} />);
    const field = screen.getByLabelText("Email");
    fireEvent.change(field, { target: { value: "not-an-address" } });
    await act(async () => fireEvent.submit(field.closest("form")!));
    await waitFor(() =>
      expect(describedText(field)).toContain("The email must be an email address."),
    );
    expect(screen.queryByRole("alert")).toBeNull();

    await act(async () => fireEvent.submit(field.closest("form")!));
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe("That address is taken."),
    );
  });
});
